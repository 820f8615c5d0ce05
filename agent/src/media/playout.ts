/**
 * A timeline's play-out: emits output samples [EMITTED, target) from the ring, decoding each
 * due packet in sequence order (G.722 is stateful) and keeping in the carry what a packet
 * places past the end of a read. Gaps (loss, hold, silence suppression) stay zeros.
 *
 * G.711 is read by the native reader when it holds the ring (the same figures, see emit() in
 * native/rtp-reader.c); other codecs, and streams without it, are decoded here.
 */
import { createAudioDecoder, type AudioDecoder, type CodecInfo } from './codecs.js';
import { SLOT, SLOT_FIELDS, type FastPathEmitter, type FastState } from './fast-state.js';
import { placeSamples, resampleInto } from './pcm.js';
import { INITIAL_SLOT_BYTES, type Ring } from './ring.js';
import type { MediaRuntime } from './runtime.js';

const EMPTY = new Int16Array(0);
const { IDX: S_IDX, POS: S_POS, LEN: S_LEN, PT: S_PT } = SLOT;

export class Playout {
  /** EMITTED, READ_IDX, CARRY_LEN, AUDIBLE live in the shared state. */
  readonly #st: FastState;
  readonly #ring: Ring;
  /** Payload type → codec (the timeline's table). */
  readonly #codecs: readonly (CodecInfo | undefined)[];
  readonly #sampleRate: number;
  /** Decode and resample scratch, shared by every timeline (decoding is synchronous). */
  readonly #runtime: MediaRuntime;
  /** Payload type → decoder, made on first use (G.722 keeps state per stream). */
  readonly #decoders: (AudioDecoder | undefined)[] = [];
  /** The native reader's G.711 read while it holds the ring (null: decode here). */
  #emitter: FastPathEmitter | null = null;
  /**
   * Decoded samples that belong past the last emitted position (a packet straddling a read). A
   * payload byte is at most 2 output samples (G.722 at 16 kHz, G.711 upsampled): 4 per slot
   * byte leaves room for packets overlapping after a re-anchor.
   */
  #carry = new Int16Array(INITIAL_SLOT_BYTES * 4);

  constructor(
    st: FastState,
    ring: Ring,
    codecs: readonly (CodecInfo | undefined)[],
    sampleRate: number,
    runtime: MediaRuntime,
  ) {
    this.#st = st;
    this.#runtime = runtime;
    this.#ring = ring;
    this.#codecs = codecs;
    this.#sampleRate = sampleRate;
  }

  /** Shared with the native reader; replaced when the ring's slots grow (fitSlots). */
  get carry(): Int16Array {
    return this.#carry;
  }

  set emitter(emitter: FastPathEmitter | null) {
    this.#emitter = emitter;
  }

  /** A new timestamp mapping: decoder state from before it must not bleed into it. */
  resetDecoders(): void {
    for (const d of this.#decoders) d?.reset();
  }

  /** Follows the ring's SLOT_BYTES: the carry holds a slot's samples. */
  fitSlots(slotBytes: number): void {
    if (this.#carry.length >= slotBytes * 4) return;
    const carry = new Int16Array(slotBytes * 4);
    carry.set(this.#carry.subarray(0, this.#st.carryLen));
    this.#carry = carry;
  }

  /** [EMITTED, target) as a new array; an empty one when nothing is due. */
  emitCopy(target: number): Int16Array {
    const n = target - this.#st.emitted;
    if (n <= 0) {
      this.#st.audible = false;
      return EMPTY;
    }
    const out = new Int16Array(n);
    this.emitInto(target, out);
    return out;
  }

  /** Writes [EMITTED, target) into out[0, target − EMITTED); out must be long enough. */
  emitInto(target: number, out: Int16Array): number {
    const st = this.#st;
    const n = target - st.emitted;
    st.audible = false;
    if (n <= 0) return 0;
    if (st.carryLen === 0 && st.pending === 0) {
      // Silence fast path: nothing buffered (idle, held or lost audio) costs one fill.
      out.fill(0, 0, n);
      st.emitted = target;
      return n;
    }
    if (this.#emitter !== null && this.#emitter(out, target) >= 0) return n;
    out.fill(0, 0, n);
    if (st.carryLen > 0) {
      st.audible = true;
      const c = Math.min(st.carryLen, n);
      const carry = this.#carry;
      for (let i = 0; i < c; i++) out[i] = carry[i]!;
      carry.copyWithin(0, c, st.carryLen);
      st.carryLen -= c;
    }
    const ring = this.#ring;
    const slots = ring.slots;
    const mask = st.mask;
    let idx = st.readIdx;
    let next = idx;
    for (; idx <= st.maxIdx; idx++) {
      const s = idx & mask;
      const b = s * SLOT_FIELDS;
      const pt = slots[b + S_PT]!;
      if (slots[b + S_IDX] !== idx || pt < 0) continue;
      const pos = slots[b + S_POS]!;
      if (pos >= target) break;
      ring.clearPending(s);
      next = idx + 1;
      this.#decodeSlot(s, pt, pos, out, n);
      st.audible = true;
    }
    st.readIdx = next;
    st.emitted = target;
    return n;
  }

  #decodeSlot(s: number, pt: number, pos: number, out: Int16Array, n: number): void {
    let dec = this.#decoders[pt];
    if (dec === undefined) {
      const codec = this.#codecs[pt];
      if (codec === undefined) return;
      dec = createAudioDecoder(codec.name);
      if (dec === undefined) return;
      this.#decoders[pt] = dec;
    }
    const st = this.#st;
    const ring = this.#ring;
    const len = ring.slots[s * SLOT_FIELDS + S_LEN]!;
    const start = Math.round(pos - st.emitted);
    const at = s * st.slotBytes;
    if (
      dec.codec.sampleRate === this.#sampleRate &&
      start >= 0 &&
      start + len * dec.codec.samplesPerByte <= n
    ) {
      // The common case: the packet lies wholly inside this read at the output rate, so it is
      // decoded in place (no scratch copy, no carry). Gaps stay the zeros the read began with.
      dec.decode(ring.payload, at, len, out, start);
      return;
    }
    // G.722 yields 2 samples per byte and an 8 → 16 kHz resample doubles that; sized by the
    // slot, not the packet, so the scratch grows once rather than packet by packet.
    const decoded = this.#runtime.decodeScratch(st.slotBytes * 4);
    const count = dec.decode(ring.payload, at, len, decoded, 0);
    let src = decoded;
    let samples = count;
    if (dec.codec.sampleRate !== this.#sampleRate) {
      src = this.#runtime.resampleScratch(st.slotBytes * 8);
      samples = resampleInto(decoded, count, dec.codec.sampleRate, this.#sampleRate, src);
    }
    st.carryLen = placeSamples(src, samples, start, out, this.#carry, st.carryLen, n);
  }
}
