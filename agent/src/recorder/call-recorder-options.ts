/** What a CallRecorder (call-recorder.ts) is given and what it tells the ingest path. */
import type { CallvaultError, Logger } from '../common/index.js';
import type { Policy } from '../config/index.js';
import type { Session } from '../session/index.js';
import type { MediaTotals } from '../media/index.js';
import type { Storage } from '../storage/index.js';
import type { RecordingRecord } from '../index/index.js';
import type { RecordedStream } from './channels.js';

export interface CallRecorderOptions {
  readonly session: Session;
  readonly streams: readonly RecordedStream[];
  readonly storage: Storage;
  readonly policy: Policy;
  readonly source: 'siprec' | 'tap';
  readonly sampleRate: 8000 | 16000;
  /**
   * How often PCM is pulled from the streams (ms), on the process-wide scheduler. Default 200:
   * a recording needs no lower latency (jitter_buffer_ms already delays it), and each tick has
   * a fixed cost per call.
   */
  readonly tickMs?: number;
  /** No RTP on any stream for this long (and not on hold/paused) ends the call. */
  readonly rtpTimeoutMs: number;
  readonly clock?: () => number;
  readonly log: Logger;
  /** Daemon-wide media totals (metrics): the streams are counted from start to end. */
  readonly media?: MediaTotals;
}

export type CallRecorderEvents = {
  /** The recording is in the vault and the index. */
  finished: [record: RecordingRecord];
  /** Consent declined or never given: the audio was destroyed. */
  discarded: [reason: 'declined' | 'no_answer'];
  /** Writing failed (disk full…): the ingest path should end the call. */
  failed: [err: CallvaultError];
  /** No media for rtpTimeoutMs outside hold/pause: the ingest path should end the call. */
  rtp_timeout: [];
};
