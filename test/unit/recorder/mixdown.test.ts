import assert from 'node:assert/strict';
import { interleaveStereo, mixInto, monoBytes } from '../../../agent/src/recorder/mixdown.js';

describe('recorder/mixdown', () => {
  it('interleaves left/right and pads the shorter side with silence', () => {
    const out = interleaveStereo(Int16Array.from([1, 2, 3]), Int16Array.from([-1]), 3);
    assert.deepEqual([...new Int16Array(out.buffer, out.byteOffset, 6)], [1, -1, 2, 0, 3, 0]);
  });

  it('writes little-endian samples exactly as Buffer.writeInt16LE would, extremes included', () => {
    const left = Int16Array.from({ length: 997 }, (_, i) => ((i * 7919) % 65536) - 32768);
    const right = Int16Array.from({ length: 990 }, (_, i) => 32767 - ((i * 104729) % 65536));
    const out = interleaveStereo(left, right, 1000);
    const want = Buffer.alloc(4000);
    for (let i = 0; i < 997; i++) want.writeInt16LE(left[i]!, i * 4);
    for (let i = 0; i < 990; i++) want.writeInt16LE(right[i]!, i * 4 + 2);
    assert.ok(out.equals(want));
  });

  it('sums streams of one side with clipping', () => {
    const out = mixInto([Int16Array.from([30000, -30000, 5]), Int16Array.from([10000, -10000])]);
    assert.deepEqual([...out], [32767, -32768, 5]);
  });

  it('writes mono little-endian', () => {
    const out = monoBytes(Int16Array.from([256, -2]), 3);
    assert.deepEqual([...out], [0, 1, 0xfe, 0xff, 0, 0]);
  });
});
