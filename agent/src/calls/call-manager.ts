/**
 * Wires calls across the stages: a SIP dialog (sip/) carrying a SIPREC offer (siprec/) becomes a
 * Session (session/), media streams (media/) and a CallRecorder (recorder/). It also owns what
 * belongs to no single stage: refusing calls when the disk is short (503, so the SBC fails
 * over), ending calls whose media died (BYE), and BYE + finalise for every call on shutdown.
 */
import { statfs } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import type { CallvaultError, Logger } from '../common/index.js';
import type { Config } from '../config/index.js';
import { getHeader, type SipDialog, type SipRequest, type SipStack, type ServerTx } from '../sip/index.js';
import {
  extractOfferBodies,
  parseSdp,
  sessionInfoFromOffer,
  MultipartError,
  NoUsableStreamError,
  SdpError,
} from '../siprec/index.js';
import { Session, type EndReason, type SideRules } from '../session/index.js';
import { MediaTotals, type MediaReceiver } from '../media/index.js';
import { CallRecorder, type LiveCall, type RecordedStream } from '../recorder/index.js';
import type { Storage } from '../storage/index.js';
import { planStreams, type PlannedStreams } from './offer-plan.js';
import { CallStats } from './call-stats.js';
import { LoopLagMonitor } from './loop-lag.js';

interface ActiveCall {
  readonly callId: string;
  readonly session: Session;
  readonly recorder: CallRecorder;
  planned: PlannedStreams;
  /** Streams a re-offer dropped: the recorder still drains them, so they are freed at the end. */
  readonly retired: PlannedStreams['allocated'][number][];
  dialog: SipDialog | undefined;
  readonly plain: boolean;
  ending: Promise<void> | null;
}

export interface CallManagerOptions {
  readonly stack: SipStack;
  readonly receiver: MediaReceiver;
  readonly storage: Storage;
  readonly config: Config;
  readonly log: Logger;
  /** How often free disk space is checked while calls run (ms). Default 5000. */
  readonly diskCheckMs?: number;
  /** Event-loop lag source for sip.overload_lag_ms (tests inject one). Default: a LoopLagMonitor. */
  readonly loopLagMs?: () => number;
}

const SDP_TYPE = 'application/sdp';
/** How long ending a call waits for the SBC's 200 to our BYE before finalising anyway. */
const BYE_WAIT_MS = 2000;

function isSiprec(req: SipRequest): boolean {
  const tags = [getHeader(req, 'require'), getHeader(req, 'supported')].join(',').toLowerCase();
  return /\bsiprec\b/.test(tags) || /\+sip\.src\b/i.test(getHeader(req, 'contact') ?? '');
}

/**
 * The address put in the answer's c= line: the SIP listen address, or — when SIP listens on
 * every address — the host's first non-internal IPv4, since the SBC must reach it.
 */
function advertisedAddress(config: Config): string {
  const sip = config.sip;
  const host = sip.udp?.host ?? sip.tcp?.host ?? sip.tls?.host ?? '127.0.0.1';
  if (host !== '0.0.0.0' && host !== '::') return host;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

export class CallManager {
  readonly stats = new CallStats();
  /** RTP counters of every call by side, no/one-way media verdicts (read by metrics). */
  readonly media = new MediaTotals();
  readonly #o: CallManagerOptions;
  readonly #log: Logger;
  readonly #calls = new Map<string, ActiveCall>();
  readonly #cancelled = new Set<string>();
  /** Call-IDs whose INVITE is being set up (ports, container) but not yet answered. */
  readonly #settingUp = new Set<string>();
  #diskLow = false;
  #closed = false;
  readonly #diskTimer: NodeJS.Timeout;
  readonly #lag: LoopLagMonitor | null;
  readonly #loopLagMs: () => number;
  /** Refusing calls for overload (logged once per episode). */
  #shedding = false;
  readonly #sideRules: SideRules;
  /** The c= address of our answers, fixed for the daemon's life (see advertisedAddress). */
  readonly #localAddress: string;

  constructor(o: CallManagerOptions) {
    this.#o = o;
    this.#log = o.log;
    const sip = o.config.sip;
    this.#sideRules = {
      agentNumberPrefixes: sip.agent_number_prefixes,
      agentExtensionLengths: Array.from({ length: sip.agent_extension_max_digits }, (_, i) => i + 1),
      defaultDirection: sip.default_direction,
    };
    this.#localAddress = advertisedAddress(o.config);
    const s = o.stack;
    s.on('invite', (req, tx) => void this.#onInvite(req, tx));
    s.on('reinvite', (req, tx, dialog) => void this.#onReoffer(req, tx, dialog));
    s.on('update', (req, tx, dialog) => void this.#onReoffer(req, tx, dialog));
    s.on('bye', (_req, dialog) => void this.#end(dialog.callId, 'bye', false));
    s.on('cancel', (invite) => this.#onCancel(invite.callId));
    s.on('ack-timeout', (dialog) => void this.#end(dialog.callId, 'error', false));
    this.#diskTimer = setInterval(() => void this.#checkDisk(), o.diskCheckMs ?? 5000);
    this.#diskTimer.unref();
    this.#lag = o.loopLagMs === undefined && o.config.sip.overload_lag_ms > 0 ? new LoopLagMonitor() : null;
    const lag = this.#lag;
    this.#loopLagMs = o.loopLagMs ?? (() => lag?.p99Ms ?? 0);
  }

  get activeCalls(): number {
    return this.#calls.size;
  }

  /** The calls being recorded, for live listening (GET /calls). */
  liveCalls(): LiveCall[] {
    return [...this.#calls.values()].filter((c) => c.ending === null).map((c) => c.recorder.live());
  }

  get diskLow(): boolean {
    return this.#diskLow;
  }

  async #freeBytes(): Promise<number> {
    const s = await statfs(this.#o.config.storage.dir);
    return Number(s.bavail) * Number(s.bsize);
  }

  /** Below storage.min_free_bytes: refuse new calls and finalise the running ones. */
  async #checkDisk(): Promise<void> {
    try {
      const low = (await this.#freeBytes()) < this.#o.config.storage.min_free_bytes;
      if (low && !this.#diskLow)
        this.#log.error(
          { minFreeBytes: this.#o.config.storage.min_free_bytes },
          'disk below storage.min_free_bytes: refusing new calls',
        );
      if (!low && this.#diskLow) this.#log.info({}, 'disk space recovered: accepting calls');
      this.#diskLow = low;
      if (low) for (const id of [...this.#calls.keys()]) void this.#end(id, 'disk_full', true);
    } catch (err) {
      this.#log.error({ err }, 'free disk check failed');
    }
  }

  async #onInvite(req: SipRequest, tx: ServerTx): Promise<void> {
    const callId = req.callId;
    const log = this.#log.child({ callId });
    const plain = !isSiprec(req);
    let owned = false;
    try {
      if (this.#closed) return tx.respond(503, 'Service Unavailable', [['Retry-After', '30']]);
      await this.#checkDisk();
      if (this.#diskLow) {
        this.stats.rejected('disk_full');
        return tx.respond(503, 'Service Unavailable', [
          ['Retry-After', '60'],
          ['Warning', '399 callvault "storage full"'],
        ]);
      }
      const refusal = this.#overloaded();
      if (refusal !== null) {
        this.stats.rejected(refusal);
        return tx.respond(503, 'Service Unavailable', [
          ['Retry-After', '5'],
          ['Warning', `399 callvault "${refusal === 'overload' ? 'overloaded' : 'at sip.max_calls'}"`],
        ]);
      }
      if (this.#calls.has(callId) || this.#settingUp.has(callId)) {
        // A second dialog with a live call's Call-ID is a loop or a broken SBC, not a new call.
        this.stats.rejected('duplicate_call_id');
        return tx.respond(482, 'Loop Detected');
      }
      if (plain && !this.#o.config.sip.accept_plain_invite) {
        this.stats.rejected('not_siprec');
        return tx.respond(403, 'Forbidden', [
          ['Warning', '399 callvault "only SIPREC recording sessions are accepted"'],
        ]);
      }
      this.#settingUp.add(callId);
      owned = true;
      const bodies = extractOfferBodies(req.contentType ?? getHeader(req, 'content-type'), req.body);
      if (bodies.sdp === null) {
        this.stats.rejected('no_sdp');
        return tx.respond(488, 'Not Acceptable Here', [
          ['Warning', '399 callvault "an SDP offer is required"'],
        ]);
      }
      const offer = parseSdp(bodies.sdp);
      const originMs = Date.now();
      const planned = await planStreams(offer, this.#o.receiver, {
        localAddress: this.#localAddress,
        jitterBufferMs: this.#o.config.media.jitter_buffer_ms,
        originMs,
        callId,
      });
      if (this.#cancelled.delete(callId)) {
        await this.#release(planned);
        return;
      }
      const made = sessionInfoFromOffer({
        sdp: offer,
        metadata: bodies.metadata,
        answer: planned.answer,
        receivedAt: new Date(originMs),
        sideRules: this.#sideRules,
        headers: {
          callId,
          from: getHeader(req, 'from') ?? null,
          to: getHeader(req, 'to') ?? null,
          pAssertedIdentity: getHeader(req, 'p-asserted-identity') ?? null,
          privacy: getHeader(req, 'privacy') ?? null,
          callDirection: getHeader(req, 'x-call-direction') ?? null,
          consent: getHeader(req, 'x-recording-consent') ?? null,
        },
      });
      if (made.metadataError !== null)
        log.warn({ err: made.metadataError }, 'rs-metadata unusable: recording with SDP and headers');
      if (made.info.direction === 'outbound' && !this.#o.storage.config.policy.record_outbound) {
        // SIPREC lets the recorder decline a recording session (RFC 7866): the SBC
        // connects the call itself; only its recording is declined. Nothing is stored.
        await this.#release(planned);
        this.stats.rejected('outbound_not_recorded');
        log.info(
          { policy: this.#o.storage.config.policy.name },
          'outbound call not recorded: policy.record_outbound is false',
        );
        return tx.respond(603, 'Decline', [
          ['Warning', '399 callvault "policy does not record outbound calls"'],
        ]);
      }
      const session = new Session(
        { ...made.info, answeredAt: made.info.answeredAt ?? new Date(originMs) },
        { log },
      );
      const recorder = await CallRecorder.start({
        session,
        streams: this.#recordedStreams(session, planned),
        storage: this.#o.storage,
        // The storage's, not this.#o.config's: SIGHUP may have replaced the policy since start.
        policy: this.#o.storage.config.policy,
        source: 'siprec',
        sampleRate: planned.sampleRate,
        rtpTimeoutMs: this.#o.config.media.rtp_timeout_ms,
        log,
        media: this.media,
      });
      if (this.#cancelled.delete(callId)) {
        // CANCEL arrived while the container was being created: the stack already answered
        // 487, so this call never existed. Destroy what was started.
        await recorder.abort();
        await this.#release(planned);
        return;
      }
      const call: ActiveCall = {
        callId,
        session,
        recorder,
        planned,
        retired: [],
        dialog: undefined,
        plain,
        ending: null,
      };
      this.#calls.set(callId, call);
      recorder.on('rtp_timeout', () => void this.#end(callId, 'rtp_timeout', true));
      recorder.on(
        'failed',
        (err: CallvaultError) =>
          void this.#end(callId, err.code === 'CV_ERR_VAULT_DISK_FULL' ? 'disk_full' : 'error', true),
      );
      recorder.on('discarded', () => this.stats.discarded());
      tx.respond(
        200,
        'OK',
        [
          ['Content-Type', SDP_TYPE],
          ['Contact', this.#contact(req)],
        ],
        Buffer.from(planned.answer.sdp),
      );
      call.dialog = tx.dialog;
      this.stats.started();
      log.info(
        { sessionId: session.id, recordingId: recorder.id, streams: planned.allocated.length, plain },
        'call answered',
      );
    } catch (err) {
      this.#refuse(tx, err, log);
    } finally {
      if (owned) this.#settingUp.delete(callId);
    }
  }

  #refuse(tx: ServerTx, err: unknown, log: Logger): void {
    if (err instanceof NoUsableStreamError) {
      this.stats.rejected('no_usable_stream');
      return tx.respond(488, 'Not Acceptable Here', [['Warning', '304 callvault "no common media format"']]);
    }
    if (err instanceof SdpError) {
      this.stats.rejected('bad_sdp');
      return tx.respond(400, 'Bad Request', [['Warning', `399 callvault "bad SDP (${err.code})"`]]);
    }
    if (err instanceof MultipartError) {
      // The SBC's body, not our fault: a 400 naming it, a warning, never a 500.
      this.stats.rejected('bad_body');
      log.warn({ err }, 'INVITE body is not valid multipart');
      return tx.respond(400, 'Bad Request', [
        ['Warning', `399 callvault "bad multipart body (${err.code})"`],
      ]);
    }
    const code = (err as { code?: string }).code ?? 'internal';
    this.stats.rejected(code === 'CV_ERR_MEDIA_PORTS_EXHAUSTED' ? 'ports_exhausted' : 'internal');
    log.error({ err }, 'call setup failed');
    tx.respond(
      code === 'CV_ERR_MEDIA_PORTS_EXHAUSTED' ? 503 : 500,
      code === 'CV_ERR_MEDIA_PORTS_EXHAUSTED' ? 'Service Unavailable' : 'Server Internal Error',
    );
  }

  #recordedStreams(session: Session, planned: PlannedStreams): RecordedStream[] {
    const info = session.info;
    return planned.allocated.map((a) => {
      const si = info.streams.find((s) => s.label === a.label);
      const participant = si?.participantId
        ? info.participants.find((p) => p.id === si.participantId)
        : undefined;
      return {
        label: a.label,
        side: participant?.side ?? 'unknown',
        codec: a.answered.codecs?.codec.encoding.toUpperCase() ?? 'unknown',
        stream: a.media.stream,
      };
    });
  }

  async #onReoffer(req: SipRequest, tx: ServerTx, dialog: SipDialog): Promise<void> {
    const call = this.#calls.get(dialog.callId);
    if (call === undefined) return tx.respond(481, 'Call/Transaction Does Not Exist');
    try {
      const bodies = extractOfferBodies(getHeader(req, 'content-type'), req.body);
      if (bodies.sdp === null) {
        return tx.respond(200, 'OK', [['Content-Type', SDP_TYPE]], Buffer.from(call.planned.answer.sdp));
      }
      const offer = parseSdp(bodies.sdp);
      const before = call.planned;
      call.planned = await planStreams(offer, this.#o.receiver, {
        localAddress: this.#localAddress,
        jitterBufferMs: this.#o.config.media.jitter_buffer_ms,
        originMs: call.planned.allocated[0]?.media.stream.originMs ?? Date.now(),
        previous: before,
        callId: dialog.callId,
      });
      const kept = new Set(call.planned.allocated.map((a) => a.media.stream));
      call.retired.push(...before.allocated.filter((a) => !kept.has(a.media.stream)));
      if (bodies.metadata !== null) {
        const made = sessionInfoFromOffer({
          sdp: offer,
          metadata: bodies.metadata,
          sideRules: this.#sideRules,
          answer: call.planned.answer,
          headers: { callId: dialog.callId },
        });
        if (made.metadataError === null) {
          call.session.update({
            participants: made.info.participants,
            agent: made.info.agent,
            customerParticipantId: made.info.customerParticipantId,
            agentParticipantId: made.info.agentParticipantId,
            service: made.info.service,
            caseId: made.info.caseId,
            consent: made.info.consent,
          });
        }
      }
      const dirs = offer.media.filter((m) => m.port !== 0).map((m) => m.direction);
      // SIPREC: a=inactive on every stream pauses recording (RFC 7866 §8.1.1). For a plain call,
      // the phone putting the other party on hold sends sendonly/inactive: that is hold.
      if (dirs.length > 0 && dirs.every((d) => d === 'inactive')) {
        if (call.plain) call.session.hold();
        else call.session.pause();
      } else if (call.plain && dirs.every((d) => d === 'sendonly' || d === 'inactive')) {
        call.session.hold();
      } else {
        call.session.resume();
        call.session.unhold();
      }
      tx.respond(
        200,
        'OK',
        [
          ['Content-Type', SDP_TYPE],
          ['Contact', this.#contact(req)],
        ],
        Buffer.from(call.planned.answer.sdp),
      );
    } catch (err) {
      this.#refuse(tx, err, this.#log.child({ callId: dialog.callId }));
    }
  }

  #onCancel(callId: string): void {
    const call = this.#calls.get(callId);
    if (call === undefined) {
      this.#cancelled.add(callId);
      setTimeout(() => this.#cancelled.delete(callId), 64_000).unref();
      return;
    }
    void this.#end(callId, 'cancel', false);
  }

  /** Ends a call: BYE to the SBC when we end it, then finalise the recording and free ports. */
  #end(callId: string, reason: EndReason, sendBye: boolean): Promise<void> {
    const call = this.#calls.get(callId);
    if (call === undefined) return Promise.resolve();
    call.ending ??= (async () => {
      call.session.end(reason);
      if (sendBye && call.dialog !== undefined) {
        // The recording is finalised whether or not the SBC answers the BYE; waiting for its
        // 200 is bounded so an unresponsive SBC cannot hold up a shutdown.
        const bye = this.#o.stack
          .sendBye(call.dialog)
          .catch((err: unknown) => this.#log.warn({ err, callId }, 'BYE failed'));
        await Promise.race([bye, new Promise((r) => setTimeout(r, BYE_WAIT_MS).unref())]);
      }
      try {
        const record = await call.recorder.finish(reason);
        if (record !== null) this.stats.finished(reason);
      } catch (err) {
        this.stats.failed();
        this.#log.error({ err, callId }, 'finalising the recording failed; recovery will finish it');
      } finally {
        await this.#release(call.planned);
        for (const a of call.retired) await this.#o.receiver.release(a.media.stream);
        this.#calls.delete(callId);
      }
    })();
    return call.ending;
  }

  async #release(planned: PlannedStreams): Promise<void> {
    for (const a of planned.allocated) await this.#o.receiver.release(a.media.stream);
  }

  #contact(req: SipRequest): string {
    const transport = req.via[0]?.transport?.toLowerCase() ?? 'udp';
    const a = this.#o.stack.addresses.find((b) => b.transport === transport) ?? this.#o.stack.addresses[0];
    const raw = a === undefined || a.host === '0.0.0.0' || a.host === '::' ? this.#localAddress : a.host;
    const host = raw.includes(':') ? `[${raw}]` : raw;
    return `<sip:callvault@${host}:${a?.port ?? 5060};transport=${transport}>`;
  }

  /**
   * Load shedding: a new call is refused (503) at sip.max_calls, or while the event loop runs
   * later than sip.overload_lag_ms — before the calls already up lose packets.
   */
  #overloaded(): 'max_calls' | 'overload' | null {
    const sip = this.#o.config.sip;
    if (sip.max_calls > 0 && this.#calls.size + this.#settingUp.size >= sip.max_calls) return 'max_calls';
    if (sip.overload_lag_ms > 0 && this.#loopLagMs() > sip.overload_lag_ms) {
      if (!this.#shedding) this.#log.warn({ lagMs: this.#loopLagMs() }, 'overloaded: refusing new calls');
      this.#shedding = true;
      return 'overload';
    }
    if (this.#shedding) this.#log.info({}, 'load back to normal: accepting calls');
    this.#shedding = false;
    return null;
  }

  /** Shutdown: stop taking calls, BYE every call, finalise every recording. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#diskTimer);
    this.#lag?.close();
    await Promise.all([...this.#calls.keys()].map((id) => this.#end(id, 'shutdown', true)));
  }
}
