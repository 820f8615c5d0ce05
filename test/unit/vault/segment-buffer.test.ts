import assert from 'node:assert/strict';
import {
  CHUNK_BYTES,
  SegmentBuffer,
  chunkCounts,
  returnChunks,
} from '../../../agent/src/vault/segment-buffer.js';

/** n segment buffers holding `chunks` chunks each. */
function holding(n: number, chunks: number): SegmentBuffer[] {
  const fill = Buffer.alloc(chunks * CHUNK_BYTES, 1);
  return Array.from({ length: n }, () => {
    const seg = new SegmentBuffer(fill.length);
    seg.writeBytes(fill, 0, fill.length);
    return seg;
  });
}

describe('vault/segment-buffer', () => {
  it('takes bytes and samples across chunk boundaries and gives them back in order', () => {
    const capacity = 64000; // 2 s of 8 kHz stereo PCM16: not a multiple of the chunk size
    const seg = new SegmentBuffer(capacity);
    const want = Buffer.alloc(capacity);
    for (let i = 0; i < capacity; i++) want[i] = (i * 31 + 7) & 255;
    // First 1 001 bytes by copy, then samples through the chunk views, 4 000 bytes a pass.
    seg.writeBytes(want, 0, 1000);
    seg.writeBytes(want, 1000, 1000);
    while (seg.fill < capacity) {
      let pass = Math.min(4000, capacity - seg.fill);
      while (pass > 0) {
        const view = seg.sampleView();
        const k = Math.min(seg.sampleRoom, pass >> 1);
        assert.ok(k > 0);
        for (let s = 0; s < k; s++) view[seg.sampleIndex + s] = want.readInt16LE(seg.fill + 2 * s);
        seg.advance(2 * k);
        pass -= 2 * k;
      }
    }
    assert.equal(seg.sampleRoom, 0);
    const parts = seg.parts(capacity);
    assert.equal(parts.length, Math.ceil(capacity / CHUNK_BYTES));
    assert.ok(Buffer.concat(parts).equals(want));
  });

  it('consume keeps what followed the sealed bytes; release hands back zeroed chunks', () => {
    const seg = new SegmentBuffer(40000);
    const data = Buffer.alloc(20003, 0xab);
    seg.writeBytes(data, 0, data.length);
    seg.consume(20000);
    assert.equal(seg.fill, 3);
    assert.deepEqual([...Buffer.concat(seg.parts(3))], [0xab, 0xab, 0xab]);
    seg.release();
    assert.equal(seg.fill, 0);
    // The next buffer reuses pooled chunks: nothing of the old audio is in them.
    const next = new SegmentBuffer(40000);
    next.writeBytes(Buffer.alloc(1, 1), 0, 1);
    const view = next.sampleView();
    assert.ok(new Uint8Array(view.buffer, view.byteOffset, CHUNK_BYTES).subarray(1).every((b) => b === 0));
    next.release();
  });

  it('take hands over the sealed bytes as its own chunks and keeps the partial frame; returned chunks are zeroed', () => {
    const seg = new SegmentBuffer(40000);
    const data = Buffer.from(Array.from({ length: 20003 }, (_, i) => (i * 7) & 255));
    seg.writeBytes(data, 0, data.length);
    const { pieces, chunks } = seg.take(20000);
    assert.equal(Buffer.concat(pieces).compare(data.subarray(0, 20000)), 0);
    assert.equal(chunks.length, Math.ceil(20003 / CHUNK_BYTES));
    assert.ok(
      pieces.every((p) =>
        chunks.some((c) => c.bytes.buffer === p.buffer && c.bytes.byteOffset === p.byteOffset),
      ),
    );
    // The segment goes on in fresh chunks, starting with the 3 bytes that followed.
    assert.equal(seg.fill, 3);
    assert.equal(Buffer.concat(seg.parts(3)).compare(data.subarray(20000)), 0);
    seg.writeBytes(Buffer.alloc(5, 9), 0, 5);
    pieces[0]!.fill(0xee); // the caller owns the handed-over chunks: the segment must not see this
    assert.deepEqual([...Buffer.concat(seg.parts(8))], [...data.subarray(20000), 9, 9, 9, 9, 9]);
    returnChunks(chunks);
    assert.ok(chunks.every((c) => c.bytes.every((b) => b === 0)));
    seg.release();
  });

  it('the pool follows the load: bursts below the chunks in use reuse chunks, and it shrinks after', () => {
    const base = chunkCounts();
    // 5 000 chunks stay in use (the calls' segments) while bursts of 4 500 come and go (a tick's
    // takes, a batch of completed writes): after the first burst nothing is allocated again.
    const held = holding(50, 100);
    const burst = (): void => {
      const segs = holding(45, 100);
      const taken = segs.map((s) => s.take(s.fill).chunks);
      for (const chunks of taken) returnChunks(chunks);
    };
    burst();
    const afterFirst = chunkCounts().allocated;
    assert.ok(afterFirst - base.allocated >= 9500 - base.free, `allocated ${afterFirst - base.allocated}`);
    for (let round = 0; round < 5; round++) burst();
    assert.equal(chunkCounts().allocated, afterFirst);
    assert.equal(chunkCounts().inUse, base.inUse + 5000);
    // Load gone: the pool keeps about half of the chunks it had out (9 500), not all of them.
    const population = 9500 + base.free;
    for (const s of held) s.release();
    const end = chunkCounts();
    assert.equal(end.inUse, base.inUse);
    assert.ok(end.free < 0.55 * population, `free ${end.free} of ${population}`);
  });
});
