import assert from 'node:assert/strict';
import { CODECS, type CodecInfo } from '../../../agent/src/media/codecs.js';
import { FastState } from '../../../agent/src/media/fast-state.js';
import { decodeUlaw, encodeUlaw } from '../../../agent/src/media/g711.js';
import { Playout } from '../../../agent/src/media/playout.js';
import { Ring } from '../../../agent/src/media/ring.js';
import { createMediaRuntime } from '../../../agent/src/media/runtime.js';
import { createDropCounters } from '../../../agent/src/media/stats.js';
import { tone } from './tone.js';

const codecs: (CodecInfo | undefined)[] = [];
codecs[0] = CODECS.PCMU;
codecs[13] = CODECS.CN;

function playout(sampleRate = 8000) {
  const st = new FastState();
  // The timeline's wiring: the ring's reallocation makes the play-out follow SLOT_BYTES.
  const late: { p?: Playout } = {};
  const runtime = createMediaRuntime();
  const r = new Ring(st, 8, createDropCounters(), runtime, () => late.p!.fitSlots(st.slotBytes));
  const p = new Playout(st, r, codecs, sampleRate, runtime);
  late.p = p;
  return { st, r, p };
}

/** Stores µ-law packet idx at output position pos, as push() would (MAX_IDX included). */
function put(st: FastState, r: Ring, idx: number, pos: number, bytes: Uint8Array): void {
  r.store(idx, pos, 0, bytes, 0, bytes.length);
  if (idx > st.maxIdx) st.maxIdx = idx;
}

const ulawOf = (pcm: Int16Array): Int16Array => {
  const bytes = encodeUlaw(pcm);
  const out = new Int16Array(bytes.length);
  decodeUlaw(bytes, 0, bytes.length, out, 0);
  return out;
};

describe('media/playout', () => {
  it('nothing buffered: a read is zeros, not audible, and moves EMITTED', () => {
    const { st, p } = playout();
    const out = p.emitCopy(160);
    assert.equal(out.length, 160);
    assert.ok(out.every((v) => v === 0));
    assert.equal(st.audible, false);
    assert.equal(st.emitted, 160);
    assert.equal(p.emitCopy(100).length, 0);
  });

  it('decodes due packets in place and leaves gaps as zeros; later packets stay pending', () => {
    const { st, r, p } = playout();
    const pcm = tone(440, 8000, 480);
    const bytes = encodeUlaw(pcm);
    put(st, r, 0, 0, bytes.subarray(0, 160));
    put(st, r, 2, 320, bytes.subarray(320, 480));
    const out = p.emitCopy(400);
    assert.equal(st.audible, true);
    const ref = ulawOf(pcm);
    assert.deepEqual(out.subarray(0, 160), ref.subarray(0, 160));
    assert.ok(out.subarray(160, 320).every((v) => v === 0));
    assert.deepEqual(out.subarray(320, 400), ref.subarray(320, 400));
    // The packet straddling the read's end leaves its tail in the carry.
    assert.equal(st.carryLen, 80);
    assert.equal(st.pending, 0);
    const rest = p.emitCopy(480);
    assert.deepEqual(rest, ref.subarray(400, 480));
    assert.equal(st.carryLen, 0);
    assert.equal(st.readIdx, 3);
  });

  it('upsamples 8 kHz audio into a 16 kHz output, all audible', () => {
    const { st, r, p } = playout(16000);
    put(st, r, 0, 0, encodeUlaw(tone(440, 8000, 160)));
    const out = p.emitCopy(320);
    assert.equal(st.audible, true);
    assert.equal(out.length, 320);
    assert.ok(out.filter((v) => v !== 0).length > 300);
  });

  it('skips a payload type without a decoder (comfort noise) as silence', () => {
    const { st, r, p } = playout();
    r.store(0, 0, 13, new Uint8Array([40]), 0, 1);
    st.maxIdx = 0;
    const out = p.emitCopy(160);
    assert.ok(out.every((v) => v === 0));
    assert.equal(st.pending, 0);
  });

  it('emitInto fills only what is due; the native emitter is used unless it declines', () => {
    const { st, r, p } = playout();
    put(st, r, 0, 0, encodeUlaw(tone(440, 8000, 160)));
    const calls: number[] = [];
    p.emitter = (out, target) => {
      calls.push(target);
      return -1;
    };
    const dst = new Int16Array(200).fill(7);
    assert.equal(p.emitInto(100, dst), 100);
    assert.deepEqual(calls, [100]);
    assert.equal(dst[150], 7);
    p.emitter = (out, target) => {
      out.fill(5, 0, target - st.emitted);
      st.emitted = target;
      return target;
    };
    assert.equal(p.emitInto(160, dst), 60);
    assert.equal(dst[0], 5);
  });

  it('fitSlots keeps the carry when the slots grow', () => {
    const { st, r, p } = playout();
    put(st, r, 0, 0, encodeUlaw(tone(440, 8000, 160)));
    p.emitCopy(100);
    const tail = p.carry.slice(0, st.carryLen);
    put(st, r, 1, 160, encodeUlaw(tone(440, 8000, 400)));
    assert.equal(st.slotBytes, 640);
    assert.equal(p.carry.length, 640 * 4);
    assert.deepEqual(p.carry.subarray(0, st.carryLen), tail);
  });
});
