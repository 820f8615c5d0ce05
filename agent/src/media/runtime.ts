/**
 * The media stage's process-wide working memory, in one object that main.ts creates and the
 * receiver hands to every stream and timeline: parse scratch, decode and resample scratch, the
 * word view of the native reader's batch buffer, and the payload-type tables.
 *
 * Why shared: JS runs one handler, one push and one read at a time, so per-stream copies would
 * only cost memory (thousands of streams on a busy box). Why an object and not module state:
 * its owner and lifetime are visible (STYLE rule 5), and tests get a fresh one.
 */
import { CODECS, type CodecInfo, type CodecName } from './codecs.js';
import { MediaConfigError } from './errors.js';
import { createRtcpInfo, createRtpHeader, type RtcpInfo, type RtpHeader } from './rtp.js';

/** Sources smaller than this take the byte loop rather than a word view per packet. */
const WORD_VIEW_MIN_BYTES = 65536;
/** Distinct payload-type maps kept; calls negotiate a handful. */
const MAX_CODEC_TABLES = 256;

/** Parse scratch shared by every stream of a receiver: JS runs one handler at a time. */
export interface ParseScratch {
  readonly rtp: RtpHeader;
  readonly rtcp: RtcpInfo;
}

export function createParseScratch(): ParseScratch {
  return { rtp: createRtpHeader(), rtcp: createRtcpInfo() };
}

export class MediaRuntime {
  readonly parse: ParseScratch = createParseScratch();
  #decode = new Int16Array(0);
  #resample = new Int16Array(0);
  #srcBuffer: ArrayBufferLike | null = null;
  #srcWords: Int32Array<ArrayBufferLike> = new Int32Array(0);
  readonly #codecTables = new Map<string, readonly (CodecInfo | undefined)[]>();

  /** Decode scratch of at least `samples`; valid until the next call (grows, never shrinks). */
  decodeScratch(samples: number): Int16Array {
    if (this.#decode.length < samples) this.#decode = new Int16Array(samples);
    return this.#decode;
  }

  /** Resample scratch of at least `samples`, distinct from decodeScratch's. */
  resampleScratch(samples: number): Int16Array {
    if (this.#resample.length < samples) this.#resample = new Int16Array(samples);
    return this.#resample;
  }

  /**
   * src's buffer as words when it is the large batch buffer the native reader fills (its view
   * is made once and kept), null for small buffers (node:dgram gives one per datagram).
   */
  wordsOf(src: Uint8Array): Int32Array<ArrayBufferLike> | null {
    const buf = src.buffer;
    if (buf === this.#srcBuffer) return this.#srcWords;
    if (buf.byteLength < WORD_VIEW_MIN_BYTES) return null;
    this.#srcBuffer = buf;
    this.#srcWords = new Int32Array(buf, 0, buf.byteLength >> 2);
    return this.#srcWords;
  }

  /**
   * Payload type → codec, one frozen table per distinct map: a 128-entry table per stream cost
   * 2.5 MB at 2 500 streams. Bounded; cleared when full. Throws MediaConfigError for a payload
   * type outside 0-127.
   */
  codecTable(payloadTypes: ReadonlyMap<number, CodecName>): readonly (CodecInfo | undefined)[] {
    const key = [...payloadTypes].map(([pt, name]) => `${pt}=${name}`).join(',');
    let table = this.#codecTables.get(key);
    if (table === undefined) {
      const t = new Array<CodecInfo | undefined>(128).fill(undefined);
      for (const [pt, name] of payloadTypes) {
        if (!Number.isInteger(pt) || pt < 0 || pt > 127)
          throw new MediaConfigError('payload type must be 0-127', { context: { payloadType: pt } });
        t[pt] = CODECS[name];
      }
      if (this.#codecTables.size >= MAX_CODEC_TABLES) this.#codecTables.clear();
      this.#codecTables.set(key, (table = Object.freeze(t)));
    }
    return table;
  }
}

export function createMediaRuntime(): MediaRuntime {
  return new MediaRuntime();
}
