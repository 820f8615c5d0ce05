/**
 * A timeline's options, and the options checked and resolved to the figures
 * the timeline runs on (a function: the checks are tested with one call each).
 */
import { CODECS, type CodecInfo, type CodecName } from './codecs.js';
import { MediaConfigError } from './errors.js';
import { MAX_RING_SLOTS } from './ring.js';
import { createMediaRuntime, type MediaRuntime } from './runtime.js';

export interface TimelineOptions {
  /** Wall-clock time (ms) of output sample 0. */
  readonly originMs: number;
  /** Payload type → codec, as negotiated. Default: DEFAULT_PAYLOAD_TYPES. */
  readonly payloadTypes: ReadonlyMap<number, CodecName>;
  /** Output rate, 8000 or 16000 Hz. Default: the first audio codec's rate in payloadTypes. */
  readonly sampleRate?: number;
  /** Play-out delay that absorbs reordering and jitter (ms). Default 60. */
  readonly jitterBufferMs?: number;
  /** A newest packet this far ahead of its arrival time re-anchors the stream (ms). Default 1000. */
  readonly maxAheadMs?: number;
  /**
   * Initial ring capacity in packets, a power of two. Default 32 (640 ms of 20 ms packets).
   * The ring doubles, up to MAX_RING_SLOTS, rather than drop unread audio (10 ms packets, a
   * stalled event loop); only beyond that do the oldest give way (drops.overflow).
   */
  readonly slots?: number;
  /**
   * The process-wide scratch and tables (main.ts makes one; the receiver passes it down).
   * Default: a timeline of its own, as in tests and benchmarks.
   */
  readonly runtime?: MediaRuntime;
}

/** TimelineOptions checked, with their defaults applied. */
export interface ResolvedTimelineOptions {
  /** Payload type → codec; the same array for every timeline with the same payload types. */
  readonly codecs: readonly (CodecInfo | undefined)[];
  readonly sampleRate: number;
  readonly jitterBufferMs: number;
  readonly maxAheadSamples: number;
  readonly slots: number;
  readonly runtime: MediaRuntime;
}

/** Throws MediaConfigError (CV_ERR_MEDIA_CONFIG) for a value out of range. */
export function resolveTimelineOptions(opts: TimelineOptions): ResolvedTimelineOptions {
  const runtime = opts.runtime ?? createMediaRuntime();
  const codecs = runtime.codecTable(opts.payloadTypes);
  const firstAudio = [...opts.payloadTypes.values()].map((n) => CODECS[n]).find((c) => c.kind === 'audio');
  const sampleRate = opts.sampleRate ?? firstAudio?.sampleRate ?? 8000;
  if (sampleRate !== 8000 && sampleRate !== 16000)
    throw new MediaConfigError('sampleRate must be 8000 or 16000', { context: { sampleRate } });
  const jitterBufferMs = opts.jitterBufferMs ?? 60;
  if (!(jitterBufferMs >= 0 && jitterBufferMs <= 1000))
    throw new MediaConfigError('jitter_buffer_ms must be 0-1000', { context: { jitterBufferMs } });
  const maxAheadSamples = ((opts.maxAheadMs ?? 1000) * sampleRate) / 1000;
  const slots = opts.slots ?? 32;
  if (!Number.isInteger(Math.log2(slots)) || slots < 8 || slots > MAX_RING_SLOTS)
    throw new MediaConfigError(`slots must be a power of two, 8-${MAX_RING_SLOTS}`, { context: { slots } });
  return { codecs, sampleRate, jitterBufferMs, maxAheadSamples, slots, runtime };
}
