/**
 * Records one call: reads each stream's wall-clock-aligned PCM on a tick, lays it out in
 * channels (left customer, right agent), and appends it to an encrypted vault writer. At the
 * end it drains the streams, finalises the container, and indexes the recording with its
 * metadata and per-stream quality stats.
 *
 * Consent (policy.consent.mode = dtmf): audio is written encrypted from the start (so nothing
 * is lost while the caller decides), but the recording stays `pending`; the decline digit, or
 * no digit within consent.timeout_ms, destroys it (crypto-shred). Pause (SIPREC a=inactive)
 * writes silence whatever RTP still arrives. Hold and pause suspend the RTP timeout.
 */
import { TypedEmitter, type CallvaultError, type Logger } from '../common/index.js';
import type { Policy } from '../config/index.js';
import type { Session, EndReason } from '../session/index.js';
import type { RtpStream } from '../media/index.js';
import type { VaultWriter } from '../vault/index.js';
import { recordFromParts, type Consent, type Storage } from '../storage/index.js';
import type { RecordingRecord } from '../index/index.js';
import { interleaveStereo, mixInto, monoBytes } from './mixdown.js';
import { callMetadataFor } from './call-metadata.js';
import { NoStreamsError } from './errors.js';

export interface RecordedStream {
  readonly label: string;
  readonly side: 'customer' | 'agent' | 'unknown';
  readonly codec: string;
  readonly stream: RtpStream;
}

export interface CallRecorderOptions {
  readonly session: Session;
  readonly streams: readonly RecordedStream[];
  readonly storage: Storage;
  readonly policy: Policy;
  readonly source: 'siprec' | 'tap';
  readonly sampleRate: 8000 | 16000;
  /** How often PCM is pulled from the streams (ms). Default 100. */
  readonly tickMs?: number;
  /** No RTP on any stream for this long (and not on hold/paused) ends the call. */
  readonly rtpTimeoutMs: number;
  readonly clock?: () => number;
  readonly log: Logger;
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

function codecOf(streams: readonly RecordedStream[]): string {
  return [...new Set(streams.map((s) => s.codec))].join('+');
}

export class CallRecorder extends TypedEmitter<CallRecorderEvents> {
  readonly #o: CallRecorderOptions;
  readonly #writer: VaultWriter;
  readonly #clock: () => number;
  readonly #channels: 1 | 2;
  /** The codecs of the call's streams, as stored in the metadata ('PCMU', 'PCMU+G722'). */
  readonly #codec: string;
  readonly #startedMs: number;
  #timer: NodeJS.Timeout | null = null;
  #consent: Consent;
  #dtmfSeen = new Map<RtpStream, number>();
  #finishing: Promise<RecordingRecord | null> | null = null;
  #failed = false;
  #lastMediaMs: number;

  private constructor(
    o: CallRecorderOptions,
    writer: VaultWriter,
    channels: 1 | 2,
    consent: Consent,
    startedMs: number,
  ) {
    super();
    this.#o = o;
    this.#writer = writer;
    this.#clock = o.clock ?? Date.now;
    this.#channels = channels;
    this.#codec = codecOf(o.streams);
    this.#consent = consent;
    this.#startedMs = startedMs;
    this.#lastMediaMs = startedMs;
  }

  /** Creates the encrypted container and starts pulling audio; resolves when recording. */
  static async start(o: CallRecorderOptions): Promise<CallRecorder> {
    if (o.streams.length === 0) throw new NoStreamsError(o.session.id);
    const startedMs = Math.min(...o.streams.map((s) => s.stream.originMs));
    const info = o.session.info;
    const consent: Consent =
      o.policy.consent.mode === 'none'
        ? 'not_required'
        : info.consent === 'given'
          ? 'given'
          : info.consent === 'declined'
            ? 'declined'
            : 'pending';
    const channels: 1 | 2 = o.streams.length === 1 ? 1 : 2;
    const codec = codecOf(o.streams);
    const writer = await o.storage.vault.createRecording({
      format: { encoding: 'pcm16', channels, sampleRate: o.sampleRate },
      startedAt: new Date(startedMs),
      metadata: { ...callMetadataFor(info, o.policy, consent, o.source, codec, new Date(startedMs)) },
    });
    o.storage.track(writer);
    const rec = new CallRecorder(o, writer, channels, consent, startedMs);
    writer.on('error', (err) => rec.#fail(err));
    o.session.on('updated', (next) => rec.#onUpdated(next.consent));
    rec.#timer = setInterval(() => rec.#tick(), o.tickMs ?? 100);
    rec.#timer.unref();
    o.log.info(
      { sessionId: o.session.id, recordingId: writer.id, channels, sampleRate: o.sampleRate, consent },
      'recording started',
    );
    if (consent === 'declined') void rec.#discard('declined');
    return rec;
  }

  get id(): string {
    return this.#writer.id;
  }

  get consent(): Consent {
    return this.#consent;
  }

  /** Destroys the recording (the call was cancelled before it was answered). */
  async abort(): Promise<void> {
    await this.#discard('cancelled');
  }

  /** Ends the recording: drains, finalises and indexes it. Idempotent; resolves with the record. */
  finish(reason: EndReason): Promise<RecordingRecord | null> {
    this.#finishing ??= this.#finish(reason);
    return this.#finishing;
  }

  #side(side: 'customer' | 'agent'): RecordedStream[] {
    const own = this.#o.streams.filter((s) => s.side === side);
    if (own.length > 0) return own;
    // Streams whose side is unknown fill the empty channel, first unknown to the customer side.
    const unknown = this.#o.streams.filter((s) => s.side === 'unknown');
    const other = this.#o.streams.filter((s) => s.side === (side === 'customer' ? 'agent' : 'customer'));
    if (side === 'customer') return unknown.slice(0, 1);
    return other.length > 0 ? unknown.slice(0, 1) : unknown.slice(1, 2);
  }

  #pull(untilMs: number, final: boolean): void {
    if (this.#failed) return;
    const readAll = (group: readonly RecordedStream[]): Int16Array =>
      mixInto(group.map((s) => (final ? s.stream.drain(untilMs) : s.stream.read(untilMs))));
    const paused = this.#o.session.paused;
    let bytes: Buffer;
    if (this.#channels === 1) {
      const samples = readAll(this.#o.streams);
      bytes = monoBytes(paused ? new Int16Array(samples.length) : samples, samples.length);
    } else {
      const left = readAll(this.#side('customer'));
      const right = readAll(this.#side('agent'));
      const frames = Math.max(left.length, right.length);
      bytes = paused ? Buffer.alloc(frames * 4) : interleaveStereo(left, right, frames);
    }
    if (bytes.length > 0) this.#writer.append(bytes);
  }

  #tick(): void {
    try {
      const now = this.#clock();
      this.#pull(now, false);
      this.#checkDtmfConsent();
      this.#checkTimeouts(now);
    } catch (err) {
      this.#fail(err as CallvaultError);
    }
  }

  #checkDtmfConsent(): void {
    const c = this.#o.policy.consent;
    for (const s of this.#o.streams) {
      const events = s.stream.dtmfEvents();
      const seen = this.#dtmfSeen.get(s.stream) ?? 0;
      for (const ev of events.slice(seen)) {
        this.#o.session.dtmf({
          digit: ev.digit,
          at: new Date(this.#startedMs + ev.offsetMs),
          durationMs: ev.durationMs,
          streamLabel: s.label,
        });
        if (c.mode === 'dtmf' && this.#consent === 'pending') {
          if (ev.digit === c.accept_digit) this.#setConsent('given');
          else if (ev.digit === c.decline_digit) this.#setConsent('declined');
        }
      }
      this.#dtmfSeen.set(s.stream, events.length);
    }
  }

  #onUpdated(consent: string): void {
    if (this.#consent !== 'pending') return;
    if (consent === 'given') this.#setConsent('given');
    else if (consent === 'declined') this.#setConsent('declined');
  }

  #setConsent(next: 'given' | 'declined'): void {
    this.#consent = next;
    this.#o.log.info({ sessionId: this.#o.session.id, consent: next }, 'consent decided');
    if (next === 'declined') {
      void this.#discard('declined');
      return;
    }
    const meta = callMetadataFor(
      this.#o.session.info,
      this.#o.policy,
      'given',
      this.#o.source,
      this.#codec,
      new Date(this.#startedMs),
    );
    this.#writer.updateMetadata({ ...meta });
  }

  #checkTimeouts(now: number): void {
    const c = this.#o.policy.consent;
    if (this.#consent === 'pending' && c.mode !== 'none' && now - this.#startedMs > c.timeout_ms) {
      this.#consent = 'declined';
      void this.#discard('no_answer');
      return;
    }
    // RTCP counts as life: a call on hold that nobody signalled still sends sender reports.
    const last = Math.max(
      this.#lastMediaMs,
      ...this.#o.streams.map((s) => Math.max(s.stream.lastPacketMs ?? 0, s.stream.lastRtcpMs ?? 0)),
    );
    this.#lastMediaMs = last;
    const s = this.#o.session;
    if (s.onHold || s.paused) {
      this.#lastMediaMs = now;
      return;
    }
    if (now - last > this.#o.rtpTimeoutMs) {
      this.#lastMediaMs = now;
      this.safeEmit(this.#o.log, 'rtp_timeout');
    }
  }

  #stopTimer(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  async #discard(reason: 'declined' | 'no_answer' | 'cancelled'): Promise<void> {
    if (this.#finishing !== null) return;
    this.#finishing = (async () => {
      this.#stopTimer();
      this.#o.storage.untrack(this.#writer);
      await this.#writer.abort();
      this.#o.log.info({ sessionId: this.#o.session.id, reason }, 'recording discarded');
      if (reason !== 'cancelled') this.safeEmit(this.#o.log, 'discarded', reason);
      return null;
    })();
    await this.#finishing;
  }

  #fail(err: CallvaultError): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#stopTimer();
    this.#o.storage.untrack(this.#writer);
    this.#o.log.error(
      { err, sessionId: this.#o.session.id, recordingId: this.#writer.id },
      'recording failed; flushed audio stays recoverable',
    );
    this.safeEmit(this.#o.log, 'failed', err);
  }

  async #finish(reason: EndReason): Promise<RecordingRecord | null> {
    this.#stopTimer();
    if (this.#failed) return null;
    if (this.#consent === 'pending') {
      // The call ended before the caller answered the consent prompt: that is no consent.
      await this.#discard('no_answer');
      return null;
    }
    if (this.#consent === 'declined') return null;
    this.#pull(this.#clock(), true);
    const finished = await this.#writer.finalize();
    this.#o.storage.untrack(this.#writer);
    const stats: Record<string, unknown> = {};
    const flags = new Set<string>();
    for (const s of this.#o.streams) {
      const st = s.stream.stats();
      stats[s.label] = st;
      if (st.packets === 0) flags.add('no_media');
    }
    const info = this.#o.session.info;
    const meta = callMetadataFor(
      info,
      this.#o.policy,
      this.#consent,
      this.#o.source,
      this.#codec,
      new Date(this.#startedMs),
    );
    const base = recordFromParts(
      finished.id,
      { ...meta, flags: [...meta.flags, ...flags] },
      finished,
      finished.format,
      this.#o.policy,
    );
    const record: RecordingRecord = { ...base, stats: { endReason: reason, streams: stats } };
    await this.#o.storage.index.putRecording(record);
    this.#o.log.info(
      { sessionId: info.id, recordingId: finished.id, durationMs: finished.durationMs, reason },
      'recording finished',
    );
    this.safeEmit(this.#o.log, 'finished', record);
    return record;
  }
}
