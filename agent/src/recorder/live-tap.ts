/**
 * Live listening: the PCM a CallRecorder has just laid out for the vault, handed to listeners
 * as it is written (one copy per pass, shared by every listener of the call). The audio is the
 * recorder's own decoded, jitter-buffered, channel-mapped stream — no second RTP path — so a
 * listener hears exactly what is recorded (silence while paused), about one tick plus the
 * jitter buffer behind the call. Listeners end when the recording stops for any reason
 * (hang-up, consent declined, write failure, shutdown).
 */
import type { Logger } from '../common/index.js';
import type { CallMetadata } from '../storage/index.js';

/**
 * Listeners of one call at once. The pass is copied once for all of them; each costs a socket
 * write per pass and at most MAX_LIVE_BACKLOG_MS of queued audio (api/live-routes.ts). 64: a
 * supervisors' room or a QA training session on one escalated call, with the sockets bounded.
 */
export const MAX_LIVE_LISTENERS = 64;

export type LiveEnd = 'ended' | 'discarded' | 'failed';

export interface LiveSink {
  /** Interleaved 16-bit samples (left customer, right agent when stereo); the array is shared. */
  data(pcm: Int16Array): void;
  end(reason: LiveEnd): void;
}

/** What the API shows and taps of a call in progress. */
export interface LiveCall {
  readonly id: string;
  readonly startedAt: string;
  readonly direction: string;
  readonly service: string | null;
  readonly number: string | null;
  readonly numberWithheld: boolean;
  readonly agent: string | null;
  readonly agentName: string | null;
  readonly consent: string;
  readonly channels: 1 | 2;
  readonly sampleRate: number;
  /** Starts a listener; null when the call has ended or has MAX_LIVE_LISTENERS already. */
  listen(sink: LiveSink): (() => void) | null;
}

/** A call in progress as the API shows it: its metadata as it stands, and how to listen. */
export function liveCallOf(
  meta: CallMetadata,
  id: string,
  consent: string,
  channels: 1 | 2,
  sampleRate: number,
  listen: LiveCall['listen'],
): LiveCall {
  return {
    id,
    startedAt: meta.startedAt,
    direction: meta.direction,
    service: meta.service,
    number: meta.number,
    numberWithheld: meta.numberWithheld,
    agent: meta.agent,
    agentName: meta.agentName,
    consent,
    channels,
    sampleRate,
    listen,
  };
}

export class LiveTaps {
  readonly #sinks = new Set<LiveSink>();
  readonly #log: Logger;
  #ended = false;

  constructor(log: Logger) {
    this.#log = log;
  }

  get size(): number {
    return this.#sinks.size;
  }

  add(sink: LiveSink): (() => void) | null {
    if (this.#ended || this.#sinks.size >= MAX_LIVE_LISTENERS) return null;
    this.#sinks.add(sink);
    return () => void this.#sinks.delete(sink);
  }

  /** Copies the pass once (the recorder's buffer is reused) and hands it to every listener. */
  push(pcm: Int16Array): void {
    if (this.#sinks.size === 0) return;
    const copy = pcm.slice();
    for (const s of this.#sinks) {
      try {
        s.data(copy);
      } catch (err) {
        // A listener's fault must never reach the recording.
        this.#sinks.delete(s);
        this.#log.warn({ err }, 'live listener dropped');
      }
    }
  }

  end(reason: LiveEnd): void {
    if (this.#ended) return;
    this.#ended = true;
    const sinks = [...this.#sinks];
    this.#sinks.clear();
    for (const s of sinks) {
      try {
        s.end(reason);
      } catch (err) {
        this.#log.warn({ err }, 'live listener failed at the end');
      }
    }
  }
}
