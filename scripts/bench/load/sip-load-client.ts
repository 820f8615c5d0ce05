/**
 * A minimal SIPREC client over UDP for the load benchmark: places calls with a bounded number
 * of INVITE transactions in flight, ACKs the answers and BYEs them at the end. It is the SBC
 * side only as far as the measurement needs (RFC 3261 timer A/B-style retransmission, ACK of
 * retransmitted 2xx); not a general SIP stack.
 */
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { LoadBenchError, BENCH_CLOSED } from './errors.js';
import {
  buildAck,
  buildBye,
  buildInvite,
  parseResponse,
  type CallIdentity,
  type Endpoint,
  type ParsedResponse,
} from './sip-wire.js';

export interface LoadCall extends CallIdentity {
  readonly toTag: string;
  /** RTP ports of the answer: [label 1 (caller), label 2 (agent)]. */
  readonly ports: readonly number[];
  /** Date.now() when the 200 OK arrived: the recording's wall-clock origin is about then. */
  readonly answeredAtMs: number;
}

export interface SetupOptions {
  /** INVITE transactions in flight at once. Default 32. */
  readonly window?: number;
  /** Per-transaction limit (ms) before it counts as a failure. Default 8000. */
  readonly transactionTimeoutMs?: number;
  /** Bound on the whole setup phase (ms). Default 120000. */
  readonly maxMs?: number;
}

export interface SetupResult {
  readonly calls: readonly LoadCall[];
  readonly attempted: number;
  /** First failure (status or 'timeout'); null when every call was answered. */
  readonly firstFailure: string | null;
  readonly elapsedMs: number;
  /** Answered calls ÷ elapsed seconds, up to the first failure. */
  readonly callsPerSecond: number;
}

export interface ByeResult {
  readonly ok: number;
  readonly failed: number;
  readonly elapsedMs: number;
  /**
   * Per call index: Date.now() halfway between sending its BYE and its final response — where
   * the daemon ended the recording, within half the transaction's time.
   */
  readonly endedAtMs: ReadonlyMap<number, number>;
}

interface Pending {
  readonly key: string;
  readonly text: string;
  readonly deadlineMs: number;
  intervalMs: number;
  timer: NodeJS.Timeout | null;
  provisional: boolean;
  readonly done: (r: ParsedResponse | null) => void;
}

const T1_MS = 500;
const T2_MS = 4000;

const newBranch = (): string => `z9hG4bK${randomBytes(8).toString('hex')}`;

export class SipLoadClient {
  readonly #socket: Socket;
  readonly #local: Endpoint;
  readonly #target: Endpoint;
  readonly #pending = new Map<string, Pending>();
  /** ACK text per established call, to answer retransmitted 2xx. */
  readonly #acks = new Map<string, string>();
  #closed = false;
  /** Datagrams that were not a SIP response we expected (counted, not fatal). */
  strayMessages = 0;

  private constructor(socket: Socket, local: Endpoint, target: Endpoint) {
    this.#socket = socket;
    this.#local = local;
    this.#target = target;
    socket.on('message', (msg) => this.#onMessage(msg.toString('utf8')));
  }

  static async open(target: Endpoint): Promise<SipLoadClient> {
    const socket = createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    socket.setRecvBufferSize(4 << 20);
    return new SipLoadClient(socket, { host: '127.0.0.1', port: socket.address().port }, target);
  }

  #onMessage(text: string): void {
    let r: ParsedResponse;
    try {
      r = parseResponse(text);
    } catch {
      this.strayMessages++;
      return;
    }
    const key = `${r.callId} ${r.method}`;
    const p = this.#pending.get(key);
    if (p === undefined) {
      const ack =
        r.method === 'INVITE' && r.status >= 200 && r.status < 300 ? this.#acks.get(r.callId) : undefined;
      if (ack !== undefined) this.#send(ack);
      else this.strayMessages++;
      return;
    }
    if (r.status < 200) {
      // A provisional answer stops INVITE retransmissions (RFC 3261 17.1.1.2), not the deadline.
      if (r.method === 'INVITE') p.provisional = true;
      return;
    }
    this.#finish(p, r);
  }

  #finish(p: Pending, r: ParsedResponse | null): void {
    if (p.timer !== null) clearTimeout(p.timer);
    this.#pending.delete(p.key);
    p.done(r);
  }

  #send(text: string): void {
    if (!this.#closed) this.#socket.send(text, this.#target.port, this.#target.host);
  }

  #arm(p: Pending): void {
    const wait = Math.min(p.intervalMs, Math.max(0, p.deadlineMs - Date.now()));
    p.timer = setTimeout(() => {
      if (Date.now() >= p.deadlineMs) return this.#finish(p, null);
      if (!p.provisional) this.#send(p.text);
      p.intervalMs = Math.min(p.intervalMs * 2, T2_MS);
      this.#arm(p);
    }, wait);
  }

  #transact(key: string, text: string, timeoutMs: number): Promise<ParsedResponse | null> {
    if (this.#closed) throw new LoadBenchError(BENCH_CLOSED, 'SIP load client is closed');
    return new Promise((resolve) => {
      const p: Pending = {
        key,
        text,
        deadlineMs: Date.now() + timeoutMs,
        intervalMs: T1_MS,
        timer: null,
        provisional: false,
        done: resolve,
      };
      this.#pending.set(key, p);
      this.#send(text);
      this.#arm(p);
    });
  }

  /** Places one call; resolves with the call, or with the failure ('timeout' or the status). */
  async call(index: number, timeoutMs = 8000): Promise<LoadCall | string> {
    const id: CallIdentity = {
      index,
      callId: `load-${index}-${randomBytes(6).toString('hex')}@bench.invalid`,
      fromTag: randomBytes(5).toString('hex'),
    };
    const branch = newBranch();
    const r = await this.#transact(
      `${id.callId} INVITE`,
      buildInvite(this.#local, this.#target, id, branch),
      timeoutMs,
    );
    if (r === null) return 'timeout';
    if (r.status >= 300) {
      this.#send(buildAck(this.#local, this.#target, id, r.toTag, branch));
      return String(r.status);
    }
    if (r.toTag === null || r.mediaPorts.length < 2) return 'bad-answer';
    const ack = buildAck(this.#local, this.#target, id, r.toTag, newBranch());
    this.#acks.set(id.callId, ack);
    this.#send(ack);
    return { ...id, toTag: r.toTag, ports: r.mediaPorts.slice(0, 2), answeredAtMs: Date.now() };
  }

  /**
   * Places up to `n` calls with `window` INVITEs in flight and stops launching new ones at the
   * first failure (the setup rate is "calls/s until the first failure").
   */
  async setup(n: number, opts: SetupOptions = {}): Promise<SetupResult> {
    const window = Math.max(1, opts.window ?? 32);
    const endBy = Date.now() + (opts.maxMs ?? 120_000);
    const started = process.hrtime.bigint();
    const calls: LoadCall[] = [];
    let next = 0;
    let firstFailure: string | null = null;
    let failedAtMs: number | null = null;
    const worker = async (): Promise<void> => {
      while (next < n && firstFailure === null && Date.now() < endBy) {
        const r = await this.call(next++, opts.transactionTimeoutMs ?? 8000);
        if (typeof r === 'string') {
          if (firstFailure === null) {
            firstFailure = r;
            failedAtMs = Number(process.hrtime.bigint() - started) / 1e6;
          }
        } else calls.push(r);
      }
    };
    await Promise.all(Array.from({ length: Math.min(window, n) }, worker));
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    calls.sort((a, b) => a.index - b.index);
    return {
      calls,
      attempted: next,
      firstFailure,
      elapsedMs,
      callsPerSecond: calls.length / ((failedAtMs ?? elapsedMs) / 1000),
    };
  }

  /** Ends every call (bounded: `window` BYEs in flight, each with its own timeout). */
  async byeAll(calls: readonly LoadCall[], window = 32, timeoutMs = 8000): Promise<ByeResult> {
    const started = Date.now();
    let next = 0;
    let ok = 0;
    let failed = 0;
    const endedAtMs = new Map<number, number>();
    const worker = async (): Promise<void> => {
      while (next < calls.length) {
        const c = calls[next++]!;
        const text = buildBye(this.#local, this.#target, c, c.toTag, newBranch());
        const sentAt = Date.now();
        const r = await this.#transact(`${c.callId} BYE`, text, timeoutMs);
        endedAtMs.set(c.index, (sentAt + Date.now()) / 2);
        this.#acks.delete(c.callId);
        if (r !== null && r.status >= 200 && r.status < 300) ok++;
        else failed++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(window, calls.length) }, worker));
    return { ok, failed, elapsedMs: Date.now() - started, endedAtMs };
  }

  /** Abandons open transactions (they resolve as failures) and closes the socket. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    for (const p of [...this.#pending.values()]) this.#finish(p, null);
    this.#closed = true;
    this.#socket.close();
    await once(this.#socket, 'close');
  }
}
