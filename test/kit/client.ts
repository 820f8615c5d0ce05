/**
 * The fake SBC's signalling end: one UDP socket or TCP connection on 127.0.0.1 to the daemon's
 * SIP port, client transactions with RFC 3261 retransmission, a log of every message received,
 * and 200 OK to the daemon's own requests (its BYE on shutdown or RTP timeout), as an SBC would.
 * Every wait is bounded.
 */
import { createSocket, type Socket } from 'node:dgram';
import { connect, type Socket as TcpSocket } from 'node:net';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { DaemonPorts } from '../helpers/daemon.js';
import { sleep } from '../helpers/until.js';
import { SiprecCall } from './call.js';
import type { OfferSpec } from './offer.js';
import {
  HOST,
  branch,
  cseqOf,
  header,
  parseSipMessage,
  streamFramer,
  type SipMessage,
  type Transport,
} from './wire.js';

interface Waiter {
  readonly pred: (m: SipMessage) => boolean;
  readonly resolve: (m: SipMessage) => void;
}

export class SiprecClient {
  readonly transport: Transport;
  readonly target: { readonly host: string; readonly port: number };
  /** Every SIP message received, in order. */
  readonly messages: SipMessage[] = [];
  #udp: Socket | null = null;
  #tcp: TcpSocket | null = null;
  #localPort = 0;
  readonly #waiters = new Set<Waiter>();
  readonly #calls = new Set<SiprecCall>();

  private constructor(target: { host: string; port: number }, transport: Transport) {
    this.target = target;
    this.transport = transport;
  }

  static async open(port: number, transport: Transport = 'udp'): Promise<SiprecClient> {
    const c = new SiprecClient({ host: HOST, port }, transport);
    if (transport === 'udp') {
      const s = createSocket('udp4');
      s.on('message', (b) => c.#receive(b.toString('latin1')));
      s.bind(0, HOST);
      await once(s, 'listening');
      c.#udp = s;
      c.#localPort = s.address().port;
    } else {
      const s = connect({ host: HOST, port, localAddress: HOST });
      s.setTimeout(10_000, () => s.destroy());
      await once(s, 'connect');
      s.setTimeout(0);
      s.on(
        'data',
        streamFramer((raw) => c.#receive(raw)),
      );
      s.on('error', () => undefined);
      c.#tcp = s;
      c.#localPort = s.localPort ?? 0;
    }
    return c;
  }

  /** A client of a started daemon, on the port it bound for `transport`. */
  static to(daemon: { readonly ports: DaemonPorts }, transport: Transport = 'udp'): Promise<SiprecClient> {
    const port = transport === 'udp' ? daemon.ports.sipUdp : daemon.ports.sipTcp;
    if (port === null) throw new Error(`the daemon has no sip.${transport} listener`);
    return SiprecClient.open(port, transport);
  }

  get localPort(): number {
    return this.#localPort;
  }

  /** `SIP/2.0/UDP 127.0.0.1:PORT;branch=…;rport` */
  via(br: string = branch()): string {
    return `SIP/2.0/${this.transport.toUpperCase()} ${HOST}:${this.#localPort};branch=${br};rport`;
  }

  contact(src = true): string {
    return `<sip:src@${HOST}:${this.#localPort};transport=${this.transport}>${src ? ';+sip.src' : ''}`;
  }

  /** Sends raw bytes to the daemon's SIP port (no framing, no retransmission). */
  send(data: string | Buffer): void {
    const buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    if (this.#udp !== null) this.#udp.send(buf, this.target.port, this.target.host);
    else this.#tcp?.write(buf);
  }

  /** Resolves with the first message (from index `since`) matching `pred`; rejects after timeoutMs. */
  waitFor(
    pred: (m: SipMessage) => boolean,
    timeoutMs: number,
    since = 0,
    what = 'SIP message',
  ): Promise<SipMessage> {
    const seen = this.messages.slice(since).find(pred);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        pred,
        resolve: (m) => {
          clearTimeout(timer);
          this.#waiters.delete(w);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(w);
        reject(new Error(`no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.add(w);
    });
  }

  /**
   * Sends a request and resolves with its final response. UDP retransmits (RFC 3261 timers A/E,
   * T1 = 500 ms) until a provisional (INVITE) or final (others) response; TCP sends once.
   */
  async transact(
    request: string,
    callId: string,
    cseq: number,
    method: string,
    timeoutMs = 8000,
  ): Promise<SipMessage> {
    const since = this.messages.length;
    const matches = (m: SipMessage): boolean => {
      const cs = cseqOf(m);
      return m.status !== null && header(m, 'call-id') === callId && cs?.n === cseq && cs.method === method;
    };
    let stop = false;
    if (this.#udp !== null) {
      void (async () => {
        for (let wait = 500; !stop; wait = Math.min(wait * 2, 4000)) {
          this.send(request);
          await sleep(wait);
          const got = this.messages.slice(since).filter(matches);
          if (got.some((m) => (m.status ?? 0) >= 200 || method === 'INVITE')) break;
        }
      })();
    } else this.send(request);
    try {
      return await this.waitFor(
        (m) => matches(m) && (m.status ?? 0) >= 200,
        timeoutMs,
        since,
        `final response to ${method}`,
      );
    } finally {
      stop = true;
    }
  }

  /** A call with its own RTP sockets (one per stream, their ports go into the offer). */
  async call(offer: OfferSpec): Promise<SiprecCall> {
    const sockets = await Promise.all(offer.streams.map(() => bindUdp()));
    const call = new SiprecCall(this, offer, sockets);
    this.#calls.add(call);
    return call;
  }

  /**
   * A call whose INVITE is a fixture file: Request-URI, Via, Contact, Call-ID, c= and m= ports
   * are rewritten to this client, Content-Length recomputed. `tones[i]` is m-line i's tone.
   */
  async fixtureCall(path: string, tones: readonly number[] = []): Promise<SiprecCall> {
    const text = readFileSync(path, 'latin1');
    const mCount = (text.match(/^m=\S+ \d+/gm) ?? []).length;
    const sockets = await Promise.all(Array.from({ length: mCount }, () => bindUdp()));
    const call = new SiprecCall(this, { streams: [] }, sockets, { text, tones });
    this.#calls.add(call);
    return call;
  }

  async close(): Promise<void> {
    for (const c of this.#calls) c.closeMedia();
    for (const w of this.#waiters) this.#waiters.delete(w);
    if (this.#udp !== null) this.#udp.close();
    this.#tcp?.destroy();
  }

  #receive(raw: string): void {
    const msg = parseSipMessage(raw);
    this.messages.push(msg);
    // Requests from the daemon (its BYE on shutdown or RTP timeout) get 200 OK, as an SBC would.
    if (msg.method !== null && msg.method !== 'ACK') {
      const copy = ['via', 'from', 'to', 'call-id', 'cseq'].flatMap((n) =>
        msg.headers.filter(([h]) => h === n).map(([h, v]) => `${h}: ${v}`),
      );
      this.send(`SIP/2.0 200 OK\r\n${copy.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`);
    }
    // A retransmitted 2xx means our ACK was lost: ACK again, or the daemon hangs up (64*T1).
    const cs = cseqOf(msg);
    if (msg.status !== null && msg.status < 300 && msg.status >= 200 && cs?.method === 'INVITE')
      for (const c of this.#calls) if (c.callId === header(msg, 'call-id')) c.reack(cs.n);
    for (const w of [...this.#waiters]) if (w.pred(msg)) w.resolve(msg);
  }
}

async function bindUdp(): Promise<Socket> {
  const s = createSocket('udp4');
  s.bind(0, HOST);
  await once(s, 'listening');
  return s;
}
