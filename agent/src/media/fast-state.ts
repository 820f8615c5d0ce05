/**
 * A stream timeline's per-packet state as one Float64Array, shared with the native reader.
 *
 * Why: at 125 000 packets/s the JavaScript packet path (batch record → stream → timeline push →
 * payload copy) was a fifth of a core, mostly waiting on the cache lines of thousands of stream
 * objects. The native reader (native/rtp-reader.c) takes the common packet itself — the next
 * sequence number of the current source, the audio payload type last stored, no re-anchor due,
 * room in the ring — and updates exactly these fields and the ring the same way push() would.
 * Everything else still goes to push(). Ordering: the reader clears ARMED whenever it hands a
 * packet of the stream to JavaScript, and only push() sets it again (see StreamTimeline), so a
 * packet never overtakes one that JavaScript has not seen yet.
 *
 * The layout is a contract with the C side: it exports its own table (stateLayout) and the
 * reader refuses to bind when the two differ (native-reader.ts).
 */
import type { JitterState, SeqState } from './stats.js';

/** Field indexes. Numbers only: C reads and writes them as doubles. */
export const FAST_STATE = Object.freeze({
  /** 1: the reader may take this stream's packets itself (only push() sets it). */
  ARMED: 0,
  /** 1: compare each packet's source with the last one handed to JavaScript. */
  LATCH: 1,
  /** The payload type the fast path accepts, and its codec's figures (see StreamTimeline). */
  FAST_PT: 2,
  RATIO: 3,
  CLOCK_RATE: 4,
  SAMPLES_PER_BYTE: 5,
  CODEC_SAMPLE_RATE: 6,
  SAMPLE_RATE: 7,
  ORIGIN_MS: 8,
  MAX_AHEAD_SAMPLES: 9,
  MASK: 10,
  SLOT_BYTES: 11,
  HAS_SOURCE: 12,
  SSRC: 13,
  NEED_ANCHOR: 14,
  EXT_OFFSET: 15,
  REF_TS: 16,
  REF_POS: 17,
  REF_END: 18,
  EMITTED: 19,
  READ_IDX: 20,
  MAX_IDX: 21,
  PENDING: 22,
  PACKETS: 23,
  BYTES: 24,
  /** NaN until the first packet. */
  LAST_PACKET_MS: 25,
  SEQ_STARTED: 26,
  SEQ_MAX: 27,
  SEQ_CYCLES: 28,
  SEQ_BASE_EXT: 29,
  SEQ_RECEIVED: 30,
  SEQ_BAD: 31,
  JITTER_HAS_TRANSIT: 32,
  JITTER_TRANSIT: 33,
  JITTER: 34,
  /** Packets the native reader took for this stream (stats and tests). */
  FAST_PACKETS: 35,
  /** FAST_PT's codec when the native reader may decode it itself: 1 PCMU, 2 PCMA, 0 other. */
  FAST_CODEC: 36,
  /** 1 when the last read decoded any audio. */
  AUDIBLE: 37,
  /** Reads the native reader decoded itself (tests). */
  FAST_READS: 38,
  /** Valid samples in the carry (decoded audio past the last read). */
  CARRY_LEN: 39,
});
export type FastStateField = keyof typeof FAST_STATE;
/** Array length; 40 doubles = 320 bytes, off the V8 heap (typed arrays over 64 bytes are). */
export const FAST_STATE_FIELDS = 40;

const F = FAST_STATE;

/** The fields of one ring slot in a timeline's slot array (SLOT_FIELDS doubles per slot). */
export const SLOT = Object.freeze({ IDX: 0, POS: 1, LEN: 2, PT: 3 });
export const SLOT_FIELDS = 4;

export function createFastState(): Float64Array {
  const st = new Float64Array(FAST_STATE_FIELDS);
  st[F.MAX_IDX] = -1;
  st[F.FAST_PT] = -1;
  st[F.SEQ_BAD] = -1;
  st[F.NEED_ANCHOR] = 1;
  st[F.LAST_PACKET_MS] = Number.NaN;
  return st;
}

/** The RFC 3550 A.1 sequence state of stats.ts, stored in the shared array. */
export class SharedSeqState implements SeqState {
  readonly #st: Float64Array;
  constructor(st: Float64Array) {
    this.#st = st;
  }
  get started(): boolean {
    return this.#st[F.SEQ_STARTED] === 1;
  }
  set started(v: boolean) {
    this.#st[F.SEQ_STARTED] = v ? 1 : 0;
  }
  get maxSeq(): number {
    return this.#st[F.SEQ_MAX]!;
  }
  set maxSeq(v: number) {
    this.#st[F.SEQ_MAX] = v;
  }
  get cycles(): number {
    return this.#st[F.SEQ_CYCLES]!;
  }
  set cycles(v: number) {
    this.#st[F.SEQ_CYCLES] = v;
  }
  get baseExt(): number {
    return this.#st[F.SEQ_BASE_EXT]!;
  }
  set baseExt(v: number) {
    this.#st[F.SEQ_BASE_EXT] = v;
  }
  get received(): number {
    return this.#st[F.SEQ_RECEIVED]!;
  }
  set received(v: number) {
    this.#st[F.SEQ_RECEIVED] = v;
  }
  get badSeq(): number {
    return this.#st[F.SEQ_BAD]!;
  }
  set badSeq(v: number) {
    this.#st[F.SEQ_BAD] = v;
  }
}

/** The RFC 3550 A.8 jitter state of stats.ts, stored in the shared array. */
export class SharedJitterState implements JitterState {
  readonly #st: Float64Array;
  constructor(st: Float64Array) {
    this.#st = st;
  }
  /** Back to "no arrival yet", as createJitterState() would start. */
  reset(): void {
    this.#st[F.JITTER_HAS_TRANSIT] = 0;
    this.#st[F.JITTER_TRANSIT] = 0;
    this.#st[F.JITTER] = 0;
  }
  get hasTransit(): boolean {
    return this.#st[F.JITTER_HAS_TRANSIT] === 1;
  }
  set hasTransit(v: boolean) {
    this.#st[F.JITTER_HAS_TRANSIT] = v ? 1 : 0;
  }
  get transit(): number {
    return this.#st[F.JITTER_TRANSIT]!;
  }
  set transit(v: number) {
    this.#st[F.JITTER_TRANSIT] = v;
  }
  get jitter(): number {
    return this.#st[F.JITTER]!;
  }
  set jitter(v: number) {
    this.#st[F.JITTER] = v;
  }
}

/** What the native reader needs to take a stream's packets: the state and the ring it fills. */
export interface FastPathArrays {
  readonly state: Float64Array;
  /** SLOT_FIELDS doubles per ring slot (see StreamTimeline). */
  readonly slots: Float64Array;
  readonly payload: Uint8Array;
  /** Decoded samples past the last read; CARRY_LEN of them are valid. */
  readonly carry: Int16Array;
}

/** Called with the arrays on attach and again whenever the ring is reallocated. */
export type FastPathBinder = (arrays: FastPathArrays) => void;

/**
 * The native read of a G.711 stream: writes [EMITTED, target) into out and returns the count,
 * or −1 when it cannot (another codec is due), having changed nothing.
 */
export type FastPathEmitter = (out: Int16Array, target: number) => number;

/** FAST_CODEC for a codec name. */
export function fastCodecId(name: string): number {
  return name === 'PCMU' ? 1 : name === 'PCMA' ? 2 : 0;
}
