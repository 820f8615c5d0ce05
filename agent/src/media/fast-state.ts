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
 * The layout is a contract with the C side (STATE_FIELDS in native/rtp-reader.c): it exports
 * its own table (stateLayout) and the reader refuses to bind when the two differ
 * (native-reader.ts); test/unit/media/fast-state.test.ts compares both with LAYOUT.
 */
import type { CodecInfo } from './codecs.js';
import type { JitterState, SeqState } from './stats.js';

/** How a field's double reads in JavaScript: a number, 1/0 as a boolean, or NaN as null. */
type Kind = 'number' | 'flag' | 'nullable';

/**
 * The layout in one table: row i is the double at index i. [C name, accessor name, kind].
 * Numbers only on the C side: it reads and writes every field as a double. The sequence and
 * jitter rows carry the names of stats.ts's SeqState and JitterState, so a FastState is both.
 */
const LAYOUT = [
  /** 1: the reader may take this stream's packets itself (only push() sets it). */
  ['ARMED', 'armed', 'flag'],
  /** 1: compare each packet's source with the last one handed to JavaScript. */
  ['LATCH', 'latch', 'flag'],
  /** The payload type the fast path accepts (−1: none yet), and its codec's figures. */
  ['FAST_PT', 'fastPt', 'number'],
  /** Output samples per RTP timestamp unit. */
  ['RATIO', 'ratio', 'number'],
  ['CLOCK_RATE', 'clockRate', 'number'],
  ['SAMPLES_PER_BYTE', 'samplesPerByte', 'number'],
  ['CODEC_SAMPLE_RATE', 'codecSampleRate', 'number'],
  /** The timeline's output rate (Hz) and the wall time (ms) of its sample 0. */
  ['SAMPLE_RATE', 'sampleRate', 'number'],
  ['ORIGIN_MS', 'originMs', 'number'],
  ['MAX_AHEAD_SAMPLES', 'maxAheadSamples', 'number'],
  /** Ring slots − 1 (a power of two minus one), and payload bytes per slot. */
  ['MASK', 'mask', 'number'],
  ['SLOT_BYTES', 'slotBytes', 'number'],
  ['HAS_SOURCE', 'hasSource', 'flag'],
  ['SSRC', 'ssrc', 'number'],
  /** 1: the next packet starts a new timestamp → position mapping at its arrival time. */
  ['NEED_ANCHOR', 'needAnchor', 'flag'],
  /** Packet index = extended sequence number + EXT_OFFSET. */
  ['EXT_OFFSET', 'extOffset', 'number'],
  /** The newest packet's RTP timestamp and output position; the end of audio placed so far. */
  ['REF_TS', 'refTs', 'number'],
  ['REF_POS', 'refPos', 'number'],
  ['REF_END', 'refEnd', 'number'],
  /** Output samples emitted so far (the next read's first position). */
  ['EMITTED', 'emitted', 'number'],
  /** The oldest packet index not yet read, and the newest index seen (−1: none). */
  ['READ_IDX', 'readIdx', 'number'],
  ['MAX_IDX', 'maxIdx', 'number'],
  /** Slots whose audio awaits decoding. */
  ['PENDING', 'pending', 'number'],
  ['PACKETS', 'packets', 'number'],
  ['BYTES', 'bytes', 'number'],
  /** Wall ms of the last accepted packet; NaN (null) until the first. */
  ['LAST_PACKET_MS', 'lastPacketMs', 'nullable'],
  /** RFC 3550 A.1 sequence state of the current run (SeqState). */
  ['SEQ_STARTED', 'started', 'flag'],
  ['SEQ_MAX', 'maxSeq', 'number'],
  ['SEQ_CYCLES', 'cycles', 'number'],
  ['SEQ_BASE_EXT', 'baseExt', 'number'],
  ['SEQ_RECEIVED', 'received', 'number'],
  ['SEQ_BAD', 'badSeq', 'number'],
  /** RFC 3550 A.8 jitter state of the current source (JitterState). */
  ['JITTER_HAS_TRANSIT', 'hasTransit', 'flag'],
  ['JITTER_TRANSIT', 'transit', 'number'],
  ['JITTER', 'jitter', 'number'],
  /** Packets the native reader took for this stream (stats and tests). */
  ['FAST_PACKETS', 'fastPackets', 'number'],
  /** FAST_PT's codec when the native reader may decode it itself: 1 PCMU, 2 PCMA, 0 other. */
  ['FAST_CODEC', 'fastCodec', 'number'],
  /** 1 when the last read decoded any audio. */
  ['AUDIBLE', 'audible', 'flag'],
  /** Reads the native reader decoded itself (tests). */
  ['FAST_READS', 'fastReads', 'number'],
  /** Valid samples in the carry (decoded audio past the last read). */
  ['CARRY_LEN', 'carryLen', 'number'],
] as const satisfies readonly (readonly [string, string, Kind])[];

type Row = (typeof LAYOUT)[number];
type ValueOf<K extends Kind> = K extends 'flag' ? boolean : K extends 'nullable' ? number | null : number;
export type FastStateField = Row[0];
/** The fields by accessor name, as FastState exposes them. */
export type FastStateFields = { -readonly [R in Row as R[1]]: ValueOf<R[2]> };

/** Field indexes by C name (native-reader.ts compares them with the addon's stateLayout). */
export const FAST_STATE: Readonly<Record<FastStateField, number>> = Object.freeze(
  Object.fromEntries(LAYOUT.map(([name], i) => [name, i])) as Record<FastStateField, number>,
);
/** Array length; 40 doubles = 320 bytes, off the V8 heap (typed arrays over 64 bytes are). */
export const FAST_STATE_FIELDS = LAYOUT.length;

/** The fields of one ring slot in a timeline's slot array (SLOT_FIELDS doubles per slot). */
export const SLOT = Object.freeze({ IDX: 0, POS: 1, LEN: 2, PT: 3 });
export const SLOT_FIELDS = 4;

/**
 * The typed view: one getter/setter per LAYOUT row, defined on the prototype from the table
 * below (so the names and indexes cannot drift apart), over `array`, which the native reader
 * shares.
 */
class FastStateView {
  /** The shared doubles (FAST_STATE_FIELDS of them). */
  readonly array = new Float64Array(FAST_STATE_FIELDS);

  constructor() {
    const st = this.array;
    st[FAST_STATE.MAX_IDX] = -1;
    st[FAST_STATE.FAST_PT] = -1;
    st[FAST_STATE.SEQ_BAD] = -1;
    st[FAST_STATE.NEED_ANCHOR] = 1;
    st[FAST_STATE.LAST_PACKET_MS] = Number.NaN;
  }

  /** Back to "no arrival yet" for the jitter fields, as createJitterState() would start. */
  resetJitter(): void {
    const st = this.array;
    st[FAST_STATE.JITTER_HAS_TRANSIT] = 0;
    st[FAST_STATE.JITTER_TRANSIT] = 0;
    st[FAST_STATE.JITTER] = 0;
  }

  /**
   * After push() stored a packet: lets the native reader take the stream's next packets when
   * they continue it (same source, next sequence number, this payload type: checked there). Not
   * while a DTMF event is open (its staleness check lives in push()), nor for payload types
   * 64-95 (with the marker bit they read as RTCP, which only ingest tells apart).
   */
  arm(pt: number, codec: CodecInfo, sampleRate: number, dtmfActive: boolean): void {
    const st = this.array;
    if (dtmfActive || (pt >= 64 && pt <= 95)) {
      st[FAST_STATE.ARMED] = 0;
      return;
    }
    if (st[FAST_STATE.FAST_PT] !== pt) {
      st[FAST_STATE.FAST_PT] = pt;
      st[FAST_STATE.RATIO] = sampleRate / codec.clockRate;
      st[FAST_STATE.CLOCK_RATE] = codec.clockRate;
      st[FAST_STATE.SAMPLES_PER_BYTE] = codec.samplesPerByte;
      st[FAST_STATE.CODEC_SAMPLE_RATE] = codec.sampleRate;
      st[FAST_STATE.FAST_CODEC] = fastCodecId(codec.name);
    }
    st[FAST_STATE.ARMED] = 1;
  }
}

for (const [i, [, name, kind]] of LAYOUT.entries()) {
  const k: Kind = kind;
  Object.defineProperty(
    FastStateView.prototype,
    name,
    k === 'flag'
      ? {
          get(this: FastStateView): boolean {
            return this.array[i] === 1;
          },
          set(this: FastStateView, v: boolean): void {
            this.array[i] = v ? 1 : 0;
          },
        }
      : k === 'nullable'
        ? {
            get(this: FastStateView): number | null {
              const v = this.array[i]!;
              return Number.isNaN(v) ? null : v;
            },
            set(this: FastStateView, v: number | null): void {
              this.array[i] = v ?? Number.NaN;
            },
          }
        : {
            get(this: FastStateView): number {
              return this.array[i]!;
            },
            set(this: FastStateView, v: number): void {
              this.array[i] = v;
            },
          },
  );
}

/** A stream's shared state with its fields by name; also its SeqState and JitterState. */
export type FastState = FastStateView & FastStateFields & SeqState & JitterState;
export const FastState = FastStateView as new () => FastState;

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
