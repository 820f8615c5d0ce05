/**
 * The SIP stack: transports + parsing + protection + transactions + dialogs, with events for
 * the SIPREC layer. Every received message ends in exactly one of: a transaction, a counted
 * rejection, or a counted drop; nothing thrown while handling one escapes to the event loop.
 */
import { TypedEmitter, type Logger } from '../common/index.js';
import { makeTrustList, parseListen, responseDestination } from './addr.js';
import { dialogFromInvite, makeBye, type SipDialog } from './dialog.js';
import { SipClosedError, SipConfigError, SipParseError } from './errors.js';
import { DEFAULT_MAX_MESSAGE_BYTES, parseMessage } from './parser.js';
import { LogLimiter, SourceRateLimiter } from './rate-limit.js';
import { stampReceived } from './request.js';
import { makeResponse } from './response.js';
import { salvageBadRequest } from './salvage.js';
import { serializeMessage } from './serializer.js';
import {
  DEFAULT_TIMERS,
  runClientTransaction,
  type InviteServerTransaction,
  type NonInviteServerTransaction,
  type SipTimers,
} from './transactions.js';
import { SipTransport, type BoundAddress, type SipSource } from './transport.js';
import type { SipRequest, SipResponse, Via } from './types.js';
import { validateRequest } from './validate.js';
import type { ServerTx, SipStackEvents, StackCore } from './core.js';
import { dispatchRequest } from './dispatch.js';

export type { ServerTx, SipStackEvents };

export interface SipStackOptions {
  /** "ADDR:PORT" or "off" (config `sip.udp`, `sip.tcp`). */
  readonly udp?: string;
  readonly tcp?: string;
  readonly tls?: { readonly listen: string; readonly cert: string | Buffer; readonly key: string | Buffer };
  /** Addresses/CIDRs allowed to send requests (config `sip.trusted`); others get 403. */
  readonly trusted: readonly string[];
  /** Default 65 535. */
  readonly maxMessageBytes?: number;
  /** Messages per second per source address (burst: the same number). Default 500. */
  readonly rateLimitPerSecond?: number;
  /** Answer UDP requests at their source port even without `rport` (NATed SBCs). Default false. */
  readonly forceRport?: boolean;
  readonly timers?: Partial<SipTimers>;
  /** Option tags accepted in Require (e.g. 'siprec'). */
  readonly supported?: readonly string[];
  /** Media types accepted in INVITE/UPDATE bodies; others get 415. */
  readonly acceptedContentTypes?: readonly string[];
  /** A transaction the TU has not answered within this gets 500. Default 10 000 ms. */
  readonly finalResponseTimeoutMs?: number;
  readonly tcpIdleTimeoutMs?: number;
  readonly tcpMessageTimeoutMs?: number;
  readonly maxTcpConnections?: number;
  readonly maxTcpConnectionsPerSource?: number;
  readonly log: Logger;
}

export interface SipStats {
  readonly received: number;
  readonly sent: number;
  readonly retransmissions: number;
  /** Counters per rejection reason: parse reasons, validation problems, protection limits. */
  readonly rejected: Readonly<Record<string, number>>;
  readonly transactions: number;
  readonly dialogs: number;
  readonly listenerErrors: number;
}

export class SipStack extends TypedEmitter<SipStackEvents> implements StackCore {
  readonly log: Logger;
  readonly opts: SipStackOptions;
  readonly timers: SipTimers;
  readonly transactions = new Map<string, InviteServerTransaction | NonInviteServerTransaction>();
  readonly dialogMap = new Map<string, SipDialog>();
  readonly #pendingAck = new Map<string, NodeJS.Timeout>();
  readonly #clientTx = new Map<string, (res: SipResponse) => void>();
  readonly #rejected: Record<string, number> = {};
  readonly #transport: SipTransport;
  #trusted: (address: string) => boolean;
  readonly #rate: SourceRateLimiter;
  readonly #logLimit = new LogLimiter(20);
  #received = 0;
  #sent = 0;
  #retransmissions = 0;
  #closed = false;

  private constructor(opts: SipStackOptions, transport: SipTransport, trusted: (a: string) => boolean) {
    super();
    this.opts = opts;
    this.log = opts.log;
    this.timers = { ...DEFAULT_TIMERS, ...opts.timers };
    this.#transport = transport;
    this.#trusted = trusted;
    this.#rate = new SourceRateLimiter(opts.rateLimitPerSecond ?? 500);
    transport.on('message', (bytes, source) => this.#onMessage(bytes, source));
    transport.on('refused', (reason, source) => this.reject(reason, source));
    transport.on('unframed', (head, reason, source) => this.#answerUnparsed(head, reason, source));
  }

  static async create(opts: SipStackOptions): Promise<SipStack> {
    const trusted = makeTrustList(opts.trusted);
    const udp = parseListen('sip.udp', opts.udp);
    const tcp = parseListen('sip.tcp', opts.tcp);
    const tlsListen = opts.tls === undefined ? undefined : parseListen('sip.tls', opts.tls.listen);
    if (udp === undefined && tcp === undefined && tlsListen === undefined) {
      throw new SipConfigError('sip', 'at least one of sip.udp, sip.tcp, sip.tls must listen');
    }
    const transport = await SipTransport.open({
      ...(udp ? { udp } : {}),
      ...(tcp ? { tcp } : {}),
      ...(opts.tls && tlsListen
        ? { tls: { listen: tlsListen, cert: opts.tls.cert, key: opts.tls.key } }
        : {}),
      maxMessageBytes: opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      tcpIdleTimeoutMs: opts.tcpIdleTimeoutMs ?? 300_000,
      tcpMessageTimeoutMs: opts.tcpMessageTimeoutMs ?? 10_000,
      maxTcpConnections: opts.maxTcpConnections ?? 1024,
      maxTcpConnectionsPerSource: opts.maxTcpConnectionsPerSource ?? 64,
      log: opts.log,
    });
    return new SipStack(opts, transport, trusted);
  }

  get addresses(): readonly BoundAddress[] {
    return this.#transport.addresses;
  }

  /**
   * Replaces `sip.trusted` (config reload). Dialogs already established keep going: the list is
   * consulted per request, so an in-dialog BYE from a source just removed gets a 403 like any
   * other. Throws like create() on an invalid entry, leaving the old list in place.
   */
  setTrusted(trusted: readonly string[]): void {
    this.#trusted = makeTrustList(trusted);
  }

  /** New certificate and key for `sip.tls` (config reload); see SipTransport.setTlsCredentials. */
  setTlsCredentials(cert: Buffer, key: Buffer): void {
    this.#transport.setTlsCredentials(cert, key);
  }

  dialogs(): SipDialog[] {
    return [...this.dialogMap.values()];
  }

  stats(): SipStats {
    return {
      received: this.#received,
      sent: this.#sent,
      retransmissions: this.#retransmissions,
      rejected: { ...this.#rejected },
      transactions: this.transactions.size,
      dialogs: this.dialogMap.size,
      listenerErrors: this.listenerErrors,
    };
  }

  /** Counts a rejection and logs it, rate-limited. */
  reject(reason: string, source: SipSource): void {
    this.#rejected[reason] = (this.#rejected[reason] ?? 0) + 1;
    const suppressed = this.#logLimit.take(Date.now());
    if (suppressed >= 0) {
      this.log.warn(
        { reason, transport: source.transport, peer: source.address, suppressed },
        'sip message rejected',
      );
    }
  }

  emitEvent<K extends keyof SipStackEvents & string>(event: K, ...args: SipStackEvents[K]): void {
    this.safeEmit(this.log, event, ...args);
  }

  /** Sends bytes to where a response to `source` (or an in-dialog request) must go. */
  sendTo(source: SipSource, bytes: Buffer, top?: Via, retransmission = false): void {
    if (this.#closed) return;
    const dest = top === undefined ? source : responseDestination(top, source, this.opts.forceRport ?? false);
    if (dest === undefined) {
      this.reject('maddr', source);
      return;
    }
    const ok = this.#transport.send(source.transport, bytes, {
      ...dest,
      ...(source.connection ? { connection: source.connection } : {}),
    });
    if (!ok) this.reject('connection-gone', source);
    else if (retransmission) this.#retransmissions++;
    else this.#sent++;
  }

  /** Stateless response (403 to strangers, 400 salvage): never creates state for the sender. */
  sendStateless(req: SipRequest, source: SipSource, status: number, reason: string): void {
    this.sendTo(source, serializeMessage(makeResponse(req, status, reason)), req.via[0]);
  }

  /** Retransmits the 2xx until ACK (§13.3.1.4); at 64*T1 emits 'ack-timeout' and sends BYE. */
  startAckWait(dialog: SipDialog, bytes: Buffer, top: Via | undefined): void {
    this.stopAckWait(dialog.id);
    const { t1Ms, t2Ms } = this.timers;
    const deadline = Date.now() + 64 * t1Ms;
    const step = (ms: number): void => {
      const t = setTimeout(() => {
        if (Date.now() >= deadline) {
          this.#pendingAck.delete(dialog.id);
          this.emitEvent('ack-timeout', dialog);
          this.sendBye(dialog).catch((err: unknown) => this.log.warn({ err }, 'BYE after lost ACK failed'));
          return;
        }
        this.sendTo(dialog.source, bytes, top, true);
        step(Math.min(2 * ms, t2Ms));
      }, ms);
      t.unref();
      this.#pendingAck.set(dialog.id, t);
    };
    step(t1Ms);
  }

  stopAckWait(dialogId: string): boolean {
    const t = this.#pendingAck.get(dialogId);
    if (t === undefined) return false;
    clearTimeout(t);
    this.#pendingAck.delete(dialogId);
    return true;
  }

  /** Creates the dialog a 2xx to `tx` establishes. */
  establish(req: SipRequest, res: SipResponse, source: SipSource): SipDialog | undefined {
    const dialog = dialogFromInvite(req, res, source);
    if (dialog !== undefined) this.dialogMap.set(dialog.id, dialog);
    return dialog;
  }

  #onMessage(bytes: Buffer, source: SipSource): void {
    try {
      this.#handle(bytes, source);
    } catch (err) {
      this.reject('internal', source);
      this.log.error({ err }, 'sip message handling failed');
    }
  }

  #handle(bytes: Buffer, source: SipSource): void {
    if (this.#closed) return;
    this.#received++;
    if (!this.#rate.allow(source.address, Date.now())) {
      this.reject('rate-limited', source);
      return;
    }
    let msg;
    try {
      msg = parseMessage(bytes, {
        maxMessageBytes: this.opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
        transport: source.transport === 'udp' ? 'datagram' : 'stream',
      });
    } catch (err) {
      if (!(err instanceof SipParseError)) throw err;
      this.reject(err.reason, source);
      this.#answerUnparsed(bytes, err.reason, source);
      // On a stream, a request without From/To/Call-ID most likely means the framing went
      // wrong (a message read from its middle): the stream position is suspect, so the
      // connection closes after the answer, as after a framing error.
      if (err.reason === 'missing-header' && source.connection !== undefined)
        this.#transport.endConnection(source.connection);
      return;
    }
    if (msg.kind === 'response') {
      const branch = msg.via[0]?.branch;
      const handler = branch === undefined ? undefined : this.#clientTx.get(branch);
      if (handler === undefined) this.reject('stray-response', source);
      else handler(msg);
      return;
    }
    const req = stampReceived(msg, source.address, source.port);
    if (!this.#trusted(source.address)) {
      this.reject('untrusted', source);
      if (req.method !== 'ACK') this.sendStateless(req, source, 403, 'Forbidden');
      return;
    }
    const bodyCheck = req.method === 'INVITE' || req.method === 'UPDATE';
    const problem = validateRequest(req, {
      ...(this.opts.supported ? { supported: this.opts.supported } : {}),
      ...(bodyCheck && this.opts.acceptedContentTypes
        ? { acceptedContentTypes: this.opts.acceptedContentTypes }
        : {}),
    });
    dispatchRequest(this, req, source, problem);
  }

  /** A minimal 400 for a request that could not be parsed or framed (trusted sources only). */
  #answerUnparsed(bytes: Buffer, reason: string, source: SipSource): void {
    if (this.#closed || !this.#trusted(source.address)) return;
    const salvage = salvageBadRequest(bytes, reason);
    if (salvage !== undefined) this.sendTo(source, salvage);
  }

  /** Sends BYE in `dialog` and forgets the dialog. Resolves with the final status, 408 on timeout. */
  async sendBye(dialog: SipDialog): Promise<number> {
    if (this.#closed) throw new SipClosedError('SIP stack');
    this.dialogMap.delete(dialog.id);
    this.stopAckWait(dialog.id);
    const local = this.addresses.find((a) => a.transport === dialog.source.transport);
    const host =
      local === undefined ? '127.0.0.1' : local.host.includes(':') ? `[${local.host}]` : local.host;
    const bye = makeBye(
      dialog,
      dialog.remoteSeq + 1,
      `${dialog.source.transport.toUpperCase()} ${host}:${local?.port ?? 5060}`,
    );
    const branch = bye.via[0]?.branch ?? '';
    const res = await runClientTransaction(
      serializeMessage(bye),
      {
        timers: this.timers,
        reliable: dialog.source.transport !== 'udp',
        send: (b) => this.sendTo(dialog.source, b),
      },
      (cb) => {
        this.#clientTx.set(branch, cb);
        return () => this.#clientTx.delete(branch);
      },
    );
    return res?.status ?? 408;
  }

  /** Stops listening, drops every transaction and timer. Dialogs are not BYE'd: call sendBye first. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#pendingAck.values()) clearTimeout(t);
    this.#pendingAck.clear();
    for (const tx of [...this.transactions.values()]) tx.terminate();
    this.transactions.clear();
    this.dialogMap.clear();
    this.#transport.close();
  }

  get closed(): boolean {
    return this.#closed;
  }
}

export function createSipStack(opts: SipStackOptions): Promise<SipStack> {
  return SipStack.create(opts);
}
