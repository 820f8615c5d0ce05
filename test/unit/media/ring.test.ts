import assert from 'node:assert/strict';
import { FastState, SLOT, SLOT_FIELDS } from '../../../agent/src/media/fast-state.js';
import { INITIAL_SLOT_BYTES, MAX_RING_SLOTS, Ring } from '../../../agent/src/media/ring.js';
import { createMediaRuntime } from '../../../agent/src/media/runtime.js';
import { createDropCounters } from '../../../agent/src/media/stats.js';

/** A payload whose bytes say which packet they belong to. */
const payload = (idx: number, len = 160): Uint8Array => new Uint8Array(len).fill(idx & 255);

function ring(slots = 8) {
  const st = new FastState();
  const drops = createDropCounters();
  const reallocs: number[] = [];
  const r = new Ring(st, slots, drops, createMediaRuntime(), () => reallocs.push(st.mask + 1));
  return { st, drops, reallocs, r };
}

/** Packet idx's slot fields and first payload byte, wherever the ring holds it now. */
function slotOf(r: Ring, st: FastState, idx: number) {
  const s = idx & st.mask;
  const b = s * SLOT_FIELDS;
  return {
    idx: r.slots[b + SLOT.IDX],
    pos: r.slots[b + SLOT.POS],
    len: r.slots[b + SLOT.LEN],
    pt: r.slots[b + SLOT.PT],
    byte: r.payload[s * st.slotBytes],
  };
}

describe('media/ring', () => {
  it('stores a packet in its slot with position, length, payload type and bytes; pending counts it', () => {
    const { st, r } = ring();
    assert.equal(st.mask, 7);
    assert.equal(st.slotBytes, INITIAL_SLOT_BYTES);
    r.store(3, 480, 0, payload(3), 0, 160);
    assert.deepEqual(slotOf(r, st, 3), { idx: 3, pos: 480, len: 160, pt: 0, byte: 3 });
    assert.equal(st.pending, 1);
    assert.equal(r.holds(3), true);
    assert.equal(r.holds(11), false);
    r.clearPending(3);
    assert.equal(st.pending, 0);
    assert.equal(slotOf(r, st, 3).pt, -1);
    r.clearPending(3);
    assert.equal(st.pending, 0);
  });

  it('copies from an offset inside a large (word-aligned or not) buffer as from a small one', () => {
    const { st, r } = ring();
    const big = new Uint8Array(70000);
    big.fill(9, 1000, 1160);
    big.fill(10, 2001, 2161);
    r.store(0, 0, 0, big, 1000, 160);
    r.store(1, 160, 0, big, 2001, 160);
    assert.ok(r.payload.subarray(0, 160).every((b) => b === 9));
    assert.ok(r.payload.subarray(st.slotBytes, st.slotBytes + 160).every((b) => b === 10));
  });

  it('marks a packet without audio as seen: its slot holds no audio to decode', () => {
    const { st, r } = ring();
    r.markSeen(5);
    assert.deepEqual([slotOf(r, st, 5).idx, slotOf(r, st, 5).pt, st.pending], [5, -1, 0]);
    r.store(2, 0, 0, payload(2), 0, 160);
    r.markSeen(2);
    assert.deepEqual([slotOf(r, st, 2).idx, slotOf(r, st, 2).pt, st.pending], [2, -1, 0]);
  });

  it('doubles instead of wrapping onto unread packets; every packet keeps its bytes', () => {
    const { st, drops, reallocs, r } = ring(8);
    for (let i = 0; i < 20; i++) r.store(i, i * 160, 0, payload(i), 0, 160);
    assert.deepEqual(reallocs, [16, 32]);
    assert.equal(st.mask, 31);
    assert.equal(st.pending, 20);
    assert.equal(drops.overflow, 0);
    for (let i = 0; i < 20; i++)
      assert.deepEqual(slotOf(r, st, i), { idx: i, pos: i * 160, len: 160, pt: 0, byte: i });
  });

  it('past MAX_RING_SLOTS the oldest unread packets give way, counted as overflow', () => {
    const { st, drops, r } = ring(8);
    const total = MAX_RING_SLOTS + 40;
    for (let i = 0; i < total; i++) r.store(i, i * 80, 0, payload(i, 80), 0, 80);
    assert.equal(st.mask + 1, MAX_RING_SLOTS);
    assert.equal(drops.overflow, 40);
    assert.equal(st.readIdx, 40);
    assert.equal(st.pending, MAX_RING_SLOTS);
  });

  it('passes read slots without growing', () => {
    const { st, reallocs, r } = ring(8);
    for (let i = 0; i < 8; i++) r.store(i, i * 160, 0, payload(i), 0, 160);
    for (let i = 0; i < 8; i++) r.clearPending(i);
    r.store(12, 12 * 160, 0, payload(12), 0, 160);
    assert.deepEqual(reallocs, []);
    assert.equal(st.readIdx, 5);
  });

  it('grows the slots to the next power of two for a larger payload, keeping what they held', () => {
    const { st, reallocs, r } = ring(8);
    r.store(0, 0, 0, payload(1), 0, 160);
    r.store(1, 160, 9, payload(2, 400), 0, 400);
    assert.equal(st.slotBytes, 640);
    assert.deepEqual(reallocs, [8]);
    assert.equal(r.payload.length, 8 * 640);
    assert.deepEqual(slotOf(r, st, 0), { idx: 0, pos: 0, len: 160, pt: 0, byte: 1 });
    assert.deepEqual(slotOf(r, st, 1), { idx: 1, pos: 160, len: 400, pt: 9, byte: 2 });
    assert.ok(r.payload.subarray(640, 1040).every((b) => b === 2));
  });
});
