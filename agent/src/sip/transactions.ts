/**
 * Server and client transactions (RFC 3261 §17, RFC 6026). Each transaction owns its timers and
 * sends through a callback, so it knows nothing of sockets. Timer names follow the RFC.
 */
import { makeResponse } from './response.js';
import { serializeMessage } from './serializer.js';
import type { HeaderInput, SipRequest, SipResponse } from './types.js';

export interface SipTimers {
  /** RTT estimate, default 500 ms. */
  readonly t1Ms: number;
  /** Cap on retransmit intervals, default 4000 ms. */
  readonly t2Ms: number;
  /** Max time a message stays in the network, default 5000 ms. */
  readonly t4Ms: number;
}

export const DEFAULT_TIMERS: SipTimers = { t1Ms: 500, t2Ms: 4000, t4Ms: 5000 };

export interface TxContext {
  readonly timers: SipTimers;
  /** Stream transports do not retransmit responses (§17.2.1 Timer G is UDP only). */
  readonly reliable: boolean;
  send(res: SipResponse | Buffer): void;
  onTerminated(): void;
}

/** Transaction key (§17.2.3): branch + sent-by + method, ACK folded into INVITE. */
export function transactionKey(req: SipRequest, method = req.method): string {
  const top = req.via[0];
  const m = method === 'ACK' ? 'INVITE' : method;
  const sentBy = `${top?.host ?? ''}:${top?.port ?? ''}`;
  const branch = top?.branch;
  if (branch !== undefined && branch.startsWith('z9hG4bK') && branch.length > 7)
    return `${branch}|${sentBy}|${m}`;
  // RFC 2543 peers: no usable branch, so match on the dialog and sequence fields instead.
  return `2543|${req.callId}|${req.cseq.seq}|${req.from.tag ?? ''}|${sentBy}|${m}`;
}

abstract class ServerTransaction {
  readonly request: SipRequest;
  readonly localTag: string;
  protected readonly ctx: TxContext;
  protected last: Buffer | undefined;
  protected finalStatus = 0;
  #timers: NodeJS.Timeout[] = [];
  #terminated = false;

  constructor(request: SipRequest, localTag: string, ctx: TxContext) {
    this.request = request;
    this.localTag = localTag;
    this.ctx = ctx;
  }

  get terminated(): boolean {
    return this.#terminated;
  }

  /** The final status sent, 0 while none has been. */
  get status(): number {
    return this.finalStatus;
  }

  protected build(
    status: number,
    reason: string,
    headers: readonly HeaderInput[],
    body: Buffer | undefined,
  ): SipResponse {
    return makeResponse(this.request, status, reason, {
      headers,
      toTag: this.localTag,
      ...(body ? { body } : {}),
    });
  }

  protected transmit(res: SipResponse): void {
    this.last = serializeMessage(res);
    this.ctx.send(this.last);
  }

  protected timer(ms: number, fn: () => void): void {
    if (this.#terminated) return;
    const t = setTimeout(fn, ms);
    t.unref();
    this.#timers.push(t);
  }

  protected clearTimers(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers = [];
  }

  /** Stops every timer and unregisters. Idempotent. */
  terminate(): void {
    if (this.#terminated) return;
    this.#terminated = true;
    this.clearTimers();
    this.ctx.onTerminated();
  }
}

export interface InviteTxHooks {
  /** A 2xx was sent: the UAS core owns its retransmission until ACK (RFC 6026 Accepted). */
  onAccepted(res: SipResponse): void;
}

export class InviteServerTransaction extends ServerTransaction {
  #state: 'proceeding' | 'completed' | 'confirmed' | 'accepted' = 'proceeding';
  readonly #hooks: InviteTxHooks;

  constructor(request: SipRequest, localTag: string, ctx: TxContext, hooks: InviteTxHooks) {
    super(request, localTag, ctx);
    this.#hooks = hooks;
    // §17.2.1: 100 Trying at once, so the client's Timer A stops retransmitting.
    this.transmit(this.build(100, 'Trying', [], undefined));
  }

  get state(): string {
    return this.terminated ? 'terminated' : this.#state;
  }

  /** Sends a response from the TU. Ignored once a final response was sent. */
  respond(
    status: number,
    reason: string,
    headers: readonly HeaderInput[] = [],
    body?: Buffer,
  ): SipResponse | undefined {
    if (this.#state !== 'proceeding' || this.terminated) return undefined;
    const res = this.build(status, reason, headers, body);
    this.transmit(res);
    if (status < 200) return res;
    this.finalStatus = status;
    const { t1Ms, t2Ms } = this.ctx.timers;
    if (status < 300) {
      this.#state = 'accepted';
      this.#hooks.onAccepted(res);
      this.timer(64 * t1Ms, () => this.terminate()); // Timer L
      return res;
    }
    this.#state = 'completed';
    if (!this.ctx.reliable) {
      const g = (ms: number): void =>
        this.timer(ms, () => {
          if (this.#state !== 'completed' || this.last === undefined) return;
          this.ctx.send(this.last);
          g(Math.min(2 * ms, t2Ms));
        });
      g(t1Ms); // Timer G
    }
    this.timer(64 * t1Ms, () => this.terminate()); // Timer H: ACK never came
    return res;
  }

  /** A retransmitted INVITE: repeat the last response (absorbed, never reaches the TU). */
  onRetransmission(): void {
    if (this.last !== undefined && this.#state !== 'confirmed') this.ctx.send(this.last);
  }

  /** ACK to a non-2xx final response. */
  onAck(): void {
    if (this.#state !== 'completed') return;
    this.#state = 'confirmed';
    this.clearTimers();
    this.timer(this.ctx.reliable ? 0 : this.ctx.timers.t4Ms, () => this.terminate()); // Timer I
  }

  /** CANCEL while no final response: 487 to the INVITE. Returns whether it applied. */
  cancel(): boolean {
    if (this.#state !== 'proceeding') return false;
    this.respond(487, 'Request Terminated');
    return true;
  }
}

export class NonInviteServerTransaction extends ServerTransaction {
  get state(): string {
    if (this.terminated) return 'terminated';
    return this.finalStatus > 0 ? 'completed' : 'trying';
  }

  respond(
    status: number,
    reason: string,
    headers: readonly HeaderInput[] = [],
    body?: Buffer,
  ): SipResponse | undefined {
    if (this.finalStatus > 0 || this.terminated) return undefined;
    const res = this.build(status, reason, headers, body);
    this.transmit(res);
    if (status >= 200) {
      this.finalStatus = status;
      // Timer J: absorb request retransmissions for 64*T1 on UDP; nothing to absorb on streams.
      this.timer(this.ctx.reliable ? 0 : 64 * this.ctx.timers.t1Ms, () => this.terminate());
    }
    return res;
  }

  onRetransmission(): void {
    if (this.last !== undefined) this.ctx.send(this.last);
  }
}

/**
 * Non-INVITE client transaction (§17.1.2) for the requests we originate (BYE). Resolves with
 * the final response, or undefined on Timer F.
 */
export function runClientTransaction(
  bytes: Buffer,
  ctx: { timers: SipTimers; reliable: boolean; send(b: Buffer): void },
  register: (onResponse: (res: SipResponse) => void) => () => void,
): Promise<SipResponse | undefined> {
  return new Promise((resolve) => {
    const { t1Ms, t2Ms } = ctx.timers;
    let e: NodeJS.Timeout | undefined;
    const done = (res: SipResponse | undefined): void => {
      clearTimeout(e);
      clearTimeout(f);
      unregister();
      resolve(res);
    };
    const unregister = register((res) => {
      if (res.status >= 200) done(res);
    });
    const f = setTimeout(() => done(undefined), 64 * t1Ms); // Timer F
    f.unref();
    const retransmit = (ms: number): void => {
      e = setTimeout(() => {
        ctx.send(bytes);
        retransmit(Math.min(2 * ms, t2Ms));
      }, ms); // Timer E
      e.unref();
    };
    ctx.send(bytes);
    if (!ctx.reliable) retransmit(t1Ms);
  });
}
