/**
 * Wires calls across the stages: a SIP dialog (sip/) carrying a SIPREC offer (siprec/) becomes a
 * Session (session/), media streams (media/) and a CallRecorder (recorder/). It also owns what
 * belongs to no single stage: admitting or refusing calls (admission.ts decides, refusals.ts
 * says how to answer), ending calls whose media died (BYE), and BYE + finalise for every call on
 * shutdown.
 */
import { statfs } from 'node:fs/promises';
import type { CallvaultError, Logger } from '../common/index.js';
import type { Config } from '../config/index.js';
import { getHeader, type SipDialog, type SipRequest, type SipStack, type ServerTx } from '../sip/index.js';
import { extractOfferBodies, parseSdp, sessionInfoFromOffer } from '../siprec/index.js';
import { Session, type EndReason, type SideRules } from '../session/index.js';
import { MediaTotals, type MediaReceiver } from '../media/index.js';
import { CallRecorder, type LiveCall } from '../recorder/index.js';
import type { Storage } from '../storage/index.js';
import { planStreams, type PlannedStreams } from './offer-plan.js';
import { CallStats } from './call-stats.js';
import { LoopLagMonitor } from './loop-lag.js';
import { admit, type Admission, type AdmissionState } from './admission.js';
import { CallRefusedError, type RefusalCode } from './errors.js';
import { REFUSALS, refusalFor, sipRefusal } from './refusals.js';
import {
  advertisedAddress,
  contactFor,
  inviteHeaders,
  isSiprec,
  recordedStreams,
  reofferMode,
} from './call-sip.js';

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
/** Refusals admission decides before looking at load: they leave a shedding episode as it is. */
const BEFORE_LAG: ReadonlySet<RefusalCode> = new Set(['shutting_down', 'disk_full', 'max_calls']);

/** Admission's refusal as a throw, so set-up answers it where it answers errors from below. */
function refuseUnless(a: Admission): void {
  if ('refuse' in a) throw new CallRefusedError(a.refuse);
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
    this.#loopLagMs = o.loopLagMs ?? (() => this.#lag?.p99Ms ?? 0);
  }

  /** The daemon is up: load shedding judges the loop from now on, not by its start-up. */
  ready(): void {
    this.#lag?.restart();
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

  /** Below storage.min_free_bytes: refuse new calls and finalise the running ones. */
  async #checkDisk(): Promise<void> {
    try {
      const fs = await statfs(this.#o.config.storage.dir);
      const low = Number(fs.bavail) * Number(fs.bsize) < this.#o.config.storage.min_free_bytes;
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
    /** Ports bound for this INVITE and not yet handed to a live call: freed if set-up fails. */
    let planned: PlannedStreams | null = null;
    try {
      if (!this.#closed) await this.#checkDisk();
      const facts = this.#facts(callId, plain);
      const first = admit(facts);
      this.#noteShedding(first, facts.loopLagMs);
      refuseUnless(first);
      this.#settingUp.add(callId);
      owned = true;
      const bodies = extractOfferBodies(req.contentType ?? getHeader(req, 'content-type'), req.body);
      refuseUnless(admit({ ...facts, hasSdp: bodies.sdp !== null }));
      const offer = parseSdp(bodies.sdp!); // not null: admit refused no_sdp
      const originMs = Date.now();
      planned = await planStreams(offer, this.#o.receiver, {
        localAddress: this.#localAddress,
        jitterBufferMs: this.#o.config.media.jitter_buffer_ms,
        originMs,
        callId,
      });
      if (this.#cancelled.delete(callId)) return; // the stack answered 487; `finally` frees the ports
      const made = sessionInfoFromOffer({
        sdp: offer,
        metadata: bodies.metadata,
        answer: planned.answer,
        receivedAt: new Date(originMs),
        sideRules: this.#sideRules,
        headers: inviteHeaders(req),
      });
      if (made.metadataError !== null)
        log.warn({ err: made.metadataError }, 'rs-metadata unusable: recording with SDP and headers');
      const last = admit({ ...facts, hasSdp: true, direction: made.info.direction });
      if ('refuse' in last && last.refuse === 'outbound_not_recorded')
        log.info(
          { policy: this.#o.storage.config.policy.name },
          'outbound call not recorded: policy.record_outbound is false',
        );
      refuseUnless(last);
      const session = new Session(
        { ...made.info, answeredAt: made.info.answeredAt ?? new Date(originMs) },
        { log },
      );
      const recorder = await CallRecorder.start({
        session,
        streams: recordedStreams(session, planned),
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
      planned = null; // the call owns its ports now: #end frees them
      recorder.on('rtp_timeout', () => void this.#end(callId, 'rtp_timeout', true));
      recorder.on(
        'failed',
        (err: CallvaultError) =>
          void this.#end(callId, refusalFor(err) === 'disk_full' ? 'disk_full' : 'error', true),
      );
      recorder.on('discarded', () => this.stats.discarded());
      this.#answer(req, tx, call.planned);
      call.dialog = tx.dialog;
      this.stats.started();
      log.info(
        { sessionId: session.id, recordingId: recorder.id, streams: call.planned.allocated.length, plain },
        'call answered',
      );
    } catch (err) {
      // Ports first, as the refusal may be retried at once and should find them free.
      if (planned !== null) await this.#release(planned);
      planned = null;
      this.#refuse(tx, err, log);
    } finally {
      if (planned !== null) await this.#release(planned);
      if (owned) this.#settingUp.delete(callId);
    }
  }

  /** 200 with our SDP answer and Contact, to an INVITE or a re-offer. */
  #answer(req: SipRequest, tx: ServerTx, planned: PlannedStreams): void {
    const contact = contactFor(req, this.#o.stack.addresses, this.#localAddress);
    const headers: [string, string][] = [
      ['Content-Type', SDP_TYPE],
      ['Contact', contact],
    ];
    tx.respond(200, 'OK', headers, Buffer.from(planned.answer.sdp));
  }

  /** What admission needs to know about the recorder and this INVITE before reading its body. */
  #facts(callId: string, plain: boolean): AdmissionState {
    const sip = this.#o.config.sip;
    return {
      closed: this.#closed,
      diskLow: this.#diskLow,
      calls: this.#calls.size + this.#settingUp.size,
      maxCalls: sip.max_calls,
      loopLagMs: sip.overload_lag_ms > 0 ? this.#loopLagMs() : 0,
      overloadLagMs: sip.overload_lag_ms,
      // A second dialog with a live call's Call-ID is a loop or a broken SBC, not a new call.
      duplicateCallId: this.#calls.has(callId) || this.#settingUp.has(callId),
      siprec: !plain,
      acceptPlainInvite: sip.accept_plain_invite,
      recordOutbound: this.#o.storage.config.policy.record_outbound,
    };
  }

  /** Shedding for lag is logged once per episode; a refusal decided before lag leaves it as is. */
  #noteShedding(a: Admission, lagMs: number): void {
    if ('refuse' in a && BEFORE_LAG.has(a.refuse)) return;
    const shedding = 'refuse' in a && a.refuse === 'overload';
    if (shedding && !this.#shedding) this.#log.warn({ lagMs }, 'overloaded: refusing new calls');
    if (!shedding && this.#shedding) this.#log.info({}, 'load back to normal: accepting calls');
    this.#shedding = shedding;
  }

  /** Answers and counts a refusal, decided by admission or standing for an error thrown below. */
  #refuse(tx: ServerTx, err: unknown, log: Logger): void {
    const refusal = refusalFor(err);
    const r = REFUSALS[refusal];
    if (r.statsLabel !== null) this.stats.rejected(r.statsLabel);
    if (r.log !== undefined && !(err instanceof CallRefusedError)) log[r.log.level]({ err }, r.log.msg);
    const code = (err as { code?: unknown } | null)?.code;
    const answer = sipRefusal(refusal, typeof code === 'string' ? code : undefined);
    tx.respond(answer.status, answer.reason, answer.headers);
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
      const mode = reofferMode(offer, call.plain);
      if (mode === 'hold') call.session.hold();
      else if (mode === 'pause') call.session.pause();
      else {
        call.session.resume();
        call.session.unhold();
      }
      this.#answer(req, tx, call.planned);
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

  /** Shutdown: stop taking calls, BYE every call, finalise every recording. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#diskTimer);
    this.#lag?.close();
    await Promise.all([...this.#calls.keys()].map((id) => this.#end(id, 'shutdown', true)));
  }
}
