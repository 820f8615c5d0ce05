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
import { TypedEmitter, type CallvaultError } from '../common/index.js';
import type { EndReason } from '../session/index.js';
import type { RtpStream } from '../media/index.js';
import type { FinishedRecording, VaultWriter } from '../vault/index.js';
import { recordFromParts, type CallMetadata, type Consent } from '../storage/index.js';
import type { RecordingRecord } from '../index/index.js';
import { channelStreams, codecOf, type RecordedStream } from './channels.js';
import { callMetadataFor } from './call-metadata.js';
import { recordingStartMs } from './record-from.js';
import { initialConsent } from './consent.js';
import { DtmfConsent } from './dtmf-consent.js';
import { PcmPump } from './pcm-pump.js';
import type { CallRecorderEvents, CallRecorderOptions } from './call-recorder-options.js';
import { mediaOutcome, mediaSide, type MediaOutcome } from './media-outcome.js';
import { NoStreamsError } from './errors.js';
import { sharedTickScheduler, type TickScheduler } from './tick-scheduler.js';
import { LiveTaps, liveCallOf, type LiveCall, type LiveEnd } from './live-tap.js';

export type { RecordedStream, CallRecorderEvents, CallRecorderOptions };

/** Writer failures after which the flushed part of the container is finalised at once. */
const WRITE_FAILURES: ReadonlySet<string> = new Set(['CV_ERR_VAULT_DISK_FULL', 'CV_ERR_VAULT_WRITE_FAILED']);

export class CallRecorder extends TypedEmitter<CallRecorderEvents> {
  readonly #o: CallRecorderOptions;
  readonly #writer: VaultWriter;
  readonly #clock: () => number;
  readonly #channels: 1 | 2;
  /** The codecs of the call's streams, as stored in the metadata ('PCMU', 'PCMU+G722'). */
  readonly #codec: string;
  readonly #startedMs: number;
  readonly #scheduler: TickScheduler;
  #ticking = false;
  /** Reads the streams and writes the channels (pcm-pump.ts). */
  readonly #pump: PcmPump;
  #consent: Consent;
  /** How consent was decided (stored in the container's metadata, so a rebuild keeps it). */
  #consentEvidence: CallMetadata['consentEvidence'] = null;
  /** New digits to the session, and the consent they decide (dtmf-consent.ts). */
  readonly #dtmf: DtmfConsent;
  #media: MediaOutcome | null = null;
  #finishing: Promise<RecordingRecord | null> | null = null;
  #failed = false;
  #lastMediaMs: number;
  /** Live listeners (live-tap.ts): fed from #write, ended with the recording. */
  readonly #taps: LiveTaps;

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
    if (consent === 'given')
      this.#consentEvidence = {
        via: 'metadata',
        digit: null,
        stream: null,
        at: new Date(startedMs).toISOString(),
      };
    this.#startedMs = startedMs;
    this.#lastMediaMs = startedMs;
    this.#scheduler = sharedTickScheduler(o.tickMs ?? 200);
    const all = o.streams.map((s) => s.stream);
    const left: readonly RtpStream[] = channels === 1 ? all : channelStreams(o.streams, 'customer');
    const right: readonly RtpStream[] = channels === 1 ? [] : channelStreams(o.streams, 'agent');
    this.#taps = new LiveTaps(o.log);
    this.#pump = new PcmPump(writer, channels, left, right, this.#taps);
    this.#dtmf = new DtmfConsent(
      o,
      left,
      startedMs,
      () => this.#consent,
      (next, evidence) => this.#setConsent(next, evidence),
    );
  }

  /** Creates the encrypted container and starts pulling audio; resolves when recording. */
  static async start(o: CallRecorderOptions): Promise<CallRecorder> {
    if (o.streams.length === 0) throw new NoStreamsError(o.session.id);
    const startedMs = recordingStartMs(o.policy.record_from, o.streams);
    const info = o.session.info;
    const consent = initialConsent(o.policy, info.consent);
    const channels: 1 | 2 = o.streams.length === 1 ? 1 : 2;
    const codec = codecOf(o.streams);
    const writer = await o.storage.vault.createRecording({
      format: { encoding: 'pcm16', channels, sampleRate: o.sampleRate },
      startedAt: new Date(startedMs),
      metadata: { ...callMetadataFor(info, o.policy, consent, o.source, codec, new Date(startedMs)) },
    });
    o.storage.track(writer);
    for (const s of o.streams) o.media?.track(s.stream, mediaSide(s.side));
    const rec = new CallRecorder(o, writer, channels, consent, startedMs);
    writer.on('error', (err) => rec.#fail(err));
    o.session.on('updated', (next) => rec.#onUpdated(next.consent));
    rec.#scheduler.add(rec);
    rec.#ticking = true;
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

  /** The call as a live-listening API sees it; listening waits for consent where it is asked. */
  live(): LiveCall {
    const meta = callMetadataFor(
      this.#o.session.info,
      this.#o.policy,
      this.#consent,
      this.#o.source,
      this.#codec,
      new Date(this.#startedMs),
    );
    const listen: LiveCall['listen'] = (sink) =>
      this.#consent === 'given' || this.#consent === 'not_required' ? this.#taps.add(sink) : null;
    return liveCallOf(meta, this.#writer.id, this.#consent, this.#channels, this.#o.sampleRate, listen);
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

  /** Moves everything due from the streams into the writer (none after a write failure). */
  #pull(untilMs: number, final: boolean): void {
    if (this.#failed) return;
    this.#pump.pull(untilMs, final, this.#o.session.paused);
  }

  /** Called by the shared scheduler. */
  tick(): void {
    try {
      const now = this.#clock();
      this.#pull(now, false);
      this.#dtmf.check();
      this.#checkTimeouts(now);
    } catch (err) {
      this.#fail(err as CallvaultError);
    }
  }

  #onUpdated(consent: string): void {
    if (this.#consent !== 'pending') return;
    const evidence = {
      via: 'metadata' as const,
      digit: null,
      stream: null,
      at: new Date(this.#clock()).toISOString(),
    };
    if (consent === 'given') this.#setConsent('given', evidence);
    else if (consent === 'declined') this.#setConsent('declined', evidence);
  }

  #setConsent(next: 'given' | 'declined', evidence: NonNullable<CallMetadata['consentEvidence']>): void {
    this.#consent = next;
    this.#consentEvidence = evidence;
    this.#o.log.info({ sessionId: this.#o.session.id, consent: next }, 'consent decided');
    if (next === 'declined') {
      void this.#discard('declined');
      return;
    }
    this.#writer.updateMetadata({ ...this.#metadata() });
  }

  /** The call's metadata as it stands (consent and its evidence included). */
  #metadata(): CallMetadata {
    const info = this.#o.session.info;
    const { policy, source } = this.#o;
    const started = new Date(this.#startedMs);
    return callMetadataFor(info, policy, this.#consent, source, this.#codec, started, this.#consentEvidence);
  }

  #checkTimeouts(now: number): void {
    const c = this.#o.policy.consent;
    if (this.#consent === 'pending' && c.mode !== 'none' && now - this.#startedMs > c.timeout_ms) {
      this.#consent = 'declined';
      void this.#discard('no_answer');
      return;
    }
    // RTCP counts as life: a call on hold that nobody signalled still sends sender reports.
    let last = this.#lastMediaMs;
    for (const s of this.#o.streams) {
      const rtp = s.stream.lastPacketMs ?? 0;
      const rtcp = s.stream.lastRtcpMs ?? 0;
      if (rtp > last) last = rtp;
      if (rtcp > last) last = rtcp;
    }
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

  #stopTimer(end: LiveEnd = 'ended'): void {
    if (this.#ticking) this.#scheduler.delete(this);
    this.#ticking = false;
    this.#taps.end(end);
  }

  /** The streams' packets stop counting as live; their final counts stay in the totals. */
  #retireStreams(): void {
    for (const s of this.#o.streams) this.#o.media?.retire(s.stream);
  }

  async #discard(reason: 'declined' | 'no_answer' | 'cancelled'): Promise<void> {
    if (this.#finishing !== null) return;
    this.#finishing = (async () => {
      this.#stopTimer('discarded');
      this.#o.storage.untrack(this.#writer);
      await this.#writer.abort();
      this.#retireStreams();
      this.#o.log.info({ sessionId: this.#o.session.id, reason }, 'recording discarded');
      if (reason !== 'cancelled') this.safeEmit(this.#o.log, 'discarded', reason);
      return null;
    })();
    await this.#finishing;
  }

  /**
   * A write failed (disk full…): the writer has cut its file back to the last whole record and
   * closed it. What was flushed is finalised and indexed at once (flagged `recovered`), so the
   * recording is there without waiting for a restart; finish() resolves with it.
   */
  #fail(err: CallvaultError): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#stopTimer('failed');
    this.#o.storage.untrack(this.#writer);
    this.#o.storage.counts.failed(
      err.code === 'CV_ERR_VAULT_DISK_FULL'
        ? 'disk_full'
        : err.code === 'CV_ERR_VAULT_WRITE_FAILED'
          ? 'write_failed'
          : 'other',
    );
    this.#retireStreams();
    this.#o.log.error(
      { err, sessionId: this.#o.session.id, recordingId: this.#writer.id },
      'recording failed; finalising what was flushed',
    );
    if (this.#finishing === null && WRITE_FAILURES.has(err.code)) this.#finishing = this.#salvage();
    this.safeEmit(this.#o.log, 'failed', err);
  }

  async #salvage(): Promise<RecordingRecord | null> {
    const id = this.#writer.id;
    const vault = this.#o.storage.vault;
    try {
      // The failure may reach us (from a tick) before the writer has cut and closed its file.
      await this.#writer.settled();
      if (vault.isActive(id)) return null;
      if (this.#consent === 'pending' || this.#consent === 'declined') {
        // No consent was given before the call broke off: nothing may be kept.
        await vault.erase(id);
        this.#o.log.info({ sessionId: this.#o.session.id, reason: 'no_answer' }, 'recording discarded');
        return null;
      }
      const finished = await vault.recoverOne(id);
      if (finished === undefined) return null;
      const record = this.#recordOf(finished, 'disk_full');
      await this.#o.storage.index.putRecording(record);
      this.#o.storage.counts.written(this.#o.source);
      this.#o.storage.counts.recovered();
      this.#o.log.warn(
        { sessionId: this.#o.session.id, recordingId: id, durationMs: finished.durationMs },
        'recording finalised after a write failure',
      );
      this.safeEmit(this.#o.log, 'finished', record);
      return record;
    } catch (err) {
      this.#o.log.error(
        { err, recordingId: id },
        'cannot finalise after a write failure; the next start will',
      );
      return null;
    }
  }

  /** The media outcome, taken once as the call ends: streams retired, metrics told, logged. */
  #endMedia(): MediaOutcome {
    if (this.#media !== null) return this.#media;
    const m = mediaOutcome(this.#o.streams);
    this.#media = m;
    this.#retireStreams();
    // A call with no RTP (the classic SIPREC firewall fault) or RTP one way only is recorded
    // (the signalling and metadata are real) but flagged, counted and logged as a warning.
    this.#o.media?.callEnded(m.ended, m.verdict);
    if (m.verdict.kind !== 'ok')
      this.#o.log.warn(
        { sessionId: this.#o.session.id, recordingId: this.#writer.id, media: m.verdict },
        m.verdict.kind === 'no_media' ? 'call recorded without media' : 'call recorded with one-way media',
      );
    return m;
  }

  /** The call's metadata as it ended: media flags and quality included (a rebuild reads them). */
  #finalMetadata(): CallMetadata {
    const m = this.#endMedia();
    const meta = this.#metadata();
    return { ...meta, flags: [...meta.flags, ...m.flags], quality: m.quality };
  }

  /** The index record of the finished container, with the call's metadata and stream stats. */
  #recordOf(finished: FinishedRecording, reason: EndReason | 'disk_full'): RecordingRecord {
    const base = recordFromParts(
      finished.id,
      this.#finalMetadata(),
      finished,
      finished.format,
      this.#o.policy,
    );
    return { ...base, stats: { endReason: reason, streams: this.#endMedia().statsByLabel } };
  }

  async #finish(reason: EndReason): Promise<RecordingRecord | null> {
    try {
      const record = await this.#finishInner(reason);
      if (record !== null) this.#o.storage.counts.written(this.#o.source);
      return record;
    } catch (err) {
      this.#o.storage.counts.failed('finalise_failed');
      throw err;
    } finally {
      this.#retireStreams();
    }
  }

  async #finishInner(reason: EndReason): Promise<RecordingRecord | null> {
    this.#stopTimer();
    if (this.#failed) return null;
    if (this.#consent === 'pending') {
      // The call ended before the caller answered the consent prompt: that is no consent.
      await this.#discard('no_answer');
      return null;
    }
    if (this.#consent === 'declined') return null;
    this.#pull(this.#clock(), true);
    this.#writer.updateMetadata({ ...this.#finalMetadata() });
    const finished = await this.#writer.finalize();
    this.#o.storage.untrack(this.#writer);
    const record = this.#recordOf(finished, reason);
    await this.#o.storage.index.putRecording(record);
    this.#o.log.info(
      { sessionId: this.#o.session.id, recordingId: finished.id, durationMs: finished.durationMs, reason },
      'recording finished',
    );
    this.safeEmit(this.#o.log, 'finished', record);
    return record;
  }
}
