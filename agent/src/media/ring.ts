/**
 * A timeline's reorder ring: one slot per packet index (idx & mask), holding the packet's
 * output position, payload length and payload type, and its payload bytes.
 *
 * It keeps the ring from wrapping onto unread packets: it grows (doubling, up to
 * MAX_RING_SLOTS) rather than drop unread audio, and only beyond that do the oldest give way
 * (drops.overflow). Slots grow in bytes when a payload is larger than any before. The arrays
 * are shared with the native reader (fast-state.ts), which is told of every reallocation.
 */
import type { DropCounters } from './stats.js';
import { SLOT, SLOT_FIELDS, type FastState } from './fast-state.js';
import type { MediaRuntime } from './runtime.js';

/** Ring capacity limit: 10 s of 20 ms packets, 5 s of 10 ms ones. */
export const MAX_RING_SLOTS = 512;
/** Payload bytes per ring slot to start with: one 20 ms G.711/G.722 packet. Grows on demand. */
export const INITIAL_SLOT_BYTES = 160;
const { IDX: S_IDX, POS: S_POS, LEN: S_LEN, PT: S_PT } = SLOT;

/**
 * Payload copies go 4 bytes at a time when source and slot are word-aligned: ~2.7× faster than
 * a byte loop over 160 bytes, and the copy was most of push(). The source is nearly always the
 * native reader's one batch buffer, whose word view the runtime keeps (srcWords: null for
 * small buffers, which take the byte loop).
 */
function copyPayload(
  dst: Uint8Array,
  dstWords: Int32Array,
  to: number,
  src: Uint8Array,
  srcWords: Int32Array<ArrayBufferLike> | null,
  from: number,
  len: number,
): void {
  const at = src.byteOffset + from;
  if (srcWords !== null && ((at | to | len) & 3) === 0) {
    const n = len >> 2;
    const t = to >> 2;
    const f = at >> 2;
    for (let i = 0; i < n; i++) dstWords[t + i] = srcWords[f + i]!;
    return;
  }
  for (let i = 0; i < len; i++) dst[to + i] = src[from + i]!;
}

function emptySlots(count: number): Float64Array {
  const slots = new Float64Array(count * SLOT_FIELDS);
  for (let i = 0; i < count; i++) {
    slots[i * SLOT_FIELDS + S_IDX] = -1;
    slots[i * SLOT_FIELDS + S_PT] = -1;
  }
  return slots;
}

export class Ring {
  /** MASK, SLOT_BYTES, READ_IDX and PENDING live in the shared state. */
  readonly #st: FastState;
  readonly #drops: DropCounters;
  readonly #runtime: MediaRuntime;
  /**
   * Called after the arrays were reallocated or SLOT_BYTES grew: the native reader must rebind
   * them, and per-slot buffers elsewhere (the carry) follow SLOT_BYTES.
   */
  readonly #onRealloc: () => void;
  /**
   * Per slot, SLOT_FIELDS numbers side by side: the packet index it holds, its output position,
   * its payload length, and its payload type while its audio awaits decoding (−1 otherwise).
   * One array rather than one per field: a push touches one cache line of it, not five, which
   * counts with thousands of streams whose state is never in cache when their packet arrives.
   */
  #slots: Float64Array;
  #payload: Uint8Array;
  /** #payload as words, for copyPayload (slots are a multiple of 4 bytes). */
  #payloadWords: Int32Array;

  /** slots: the initial capacity, a power of two (the caller checks the range). */
  constructor(
    st: FastState,
    slots: number,
    drops: DropCounters,
    runtime: MediaRuntime,
    onRealloc: () => void,
  ) {
    this.#st = st;
    this.#runtime = runtime;
    this.#drops = drops;
    this.#onRealloc = onRealloc;
    st.mask = slots - 1;
    st.slotBytes = INITIAL_SLOT_BYTES;
    this.#slots = emptySlots(slots);
    this.#payload = new Uint8Array(slots * INITIAL_SLOT_BYTES);
    this.#payloadWords = new Int32Array(this.#payload.buffer);
  }

  /** SLOT_FIELDS doubles per slot; replaced when the ring grows. */
  get slots(): Float64Array {
    return this.#slots;
  }

  /** slotBytes per slot; replaced when the ring or its slots grow. */
  get payload(): Uint8Array {
    return this.#payload;
  }

  /** Whether packet idx is in its slot already (a duplicate). */
  holds(idx: number): boolean {
    return this.#slots[(idx & this.#st.mask) * SLOT_FIELDS + S_IDX] === idx;
  }

  /** Takes idx's slot for a packet without audio (an event, comfort noise, a late one). */
  markSeen(idx: number): void {
    this.#makeRoom(idx);
    const s = idx & this.#st.mask;
    this.#slots[s * SLOT_FIELDS + S_IDX] = idx;
    this.clearPending(s);
  }

  /** Slot s no longer awaits decoding. */
  clearPending(s: number): void {
    const at = s * SLOT_FIELDS + S_PT;
    if (this.#slots[at]! >= 0) {
      this.#slots[at] = -1;
      this.#st.pending--;
    }
  }

  /** Stores packet idx's payload src[from, from + len), to be decoded at output position pos. */
  store(idx: number, pos: number, pt: number, src: Uint8Array, from: number, len: number): void {
    this.#makeRoom(idx);
    const st = this.#st;
    if (len > st.slotBytes) this.#growSlots(len);
    const s = idx & st.mask;
    this.clearPending(s);
    const slots = this.#slots;
    const b = s * SLOT_FIELDS;
    slots[b + S_IDX] = idx;
    slots[b + S_POS] = pos;
    slots[b + S_LEN] = len;
    slots[b + S_PT] = pt;
    st.pending++;
    copyPayload(
      this.#payload,
      this.#payloadWords,
      s * st.slotBytes,
      src,
      this.#runtime.wordsOf(src),
      from,
      len,
    );
  }

  /**
   * Keeps the ring from wrapping onto unread packets: it grows while it may, then the oldest
   * give way. Slots already read (or never filled) are simply passed.
   */
  #makeRoom(idx: number): void {
    const st = this.#st;
    while (idx - st.readIdx > st.mask) {
      const s = st.readIdx & st.mask;
      const b = s * SLOT_FIELDS;
      if (this.#slots[b + S_PT]! >= 0 && this.#slots[b + S_IDX] === st.readIdx) {
        if (st.mask + 1 < MAX_RING_SLOTS) {
          this.#growRing();
          continue;
        }
        this.clearPending(s);
        this.#drops.overflow++;
      }
      st.readIdx++;
    }
  }

  /** Doubles the ring; every slot keeps its packet, now at idx & the new mask. */
  #growRing(): void {
    const st = this.#st;
    const slotBytes = st.slotBytes;
    const slots = (st.mask + 1) * 2;
    const mask = slots - 1;
    const meta = emptySlots(slots);
    const payload = new Uint8Array(slots * slotBytes);
    for (let s = 0; s <= st.mask; s++) {
      const from = s * SLOT_FIELDS;
      const idx = this.#slots[from + S_IDX]!;
      if (idx < 0) continue;
      const t = idx & mask;
      meta.set(this.#slots.subarray(from, from + SLOT_FIELDS), t * SLOT_FIELDS);
      payload.set(this.#payload.subarray(s * slotBytes, (s + 1) * slotBytes), t * slotBytes);
    }
    st.mask = mask;
    this.#slots = meta;
    this.#payload = payload;
    this.#payloadWords = new Int32Array(payload.buffer);
    this.#onRealloc();
  }

  /** Rare: a payload larger than any before. Slots grow to the next power of two. */
  #growSlots(len: number): void {
    const st = this.#st;
    let bytes = st.slotBytes;
    while (bytes < len) bytes *= 2;
    const next = new Uint8Array((st.mask + 1) * bytes);
    for (let s = 0; s <= st.mask; s++)
      next.set(this.#payload.subarray(s * st.slotBytes, (s + 1) * st.slotBytes), s * bytes);
    this.#payload = next;
    this.#payloadWords = new Int32Array(next.buffer);
    st.slotBytes = bytes;
    this.#onRealloc();
  }
}
