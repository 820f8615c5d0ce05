// A scripted SIP peer on 127.0.0.1 for the stack tests: sends raw text over UDP or TCP and
// waits for parsed messages matching a predicate, with a bounded timeout.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { SipStreamFramer, parseMessage, type SipMessage } from '../../../agent/src/sip/index.js';

export class Peer {
  readonly inbox: SipMessage[] = [];
  readonly raw: Buffer[] = [];
  #waiters: { pred: (m: SipMessage) => boolean; resolve: (m: SipMessage) => void }[] = [];
  #udp: UdpSocket | undefined;
  #tcp: Socket | undefined;
  port = 0;

  static async udp(): Promise<Peer> {
    const p = new Peer();
    const sock = createSocket('udp4');
    p.#udp = sock;
    sock.on('message', (b) => {
      p.raw.push(b);
      p.#deliver(b);
    });
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    p.port = sock.address().port;
    return p;
  }

  static async tcp(port: number): Promise<Peer> {
    const p = new Peer();
    const framer = new SipStreamFramer();
    const sock = connect(port, '127.0.0.1');
    p.#tcp = sock;
    sock.on('data', (chunk: Buffer) => {
      p.raw.push(chunk);
      try {
        for (const f of framer.push(chunk)) if (f.type === 'message') p.#deliver(f.bytes);
      } catch {
        sock.destroy();
      }
    });
    sock.on('error', () => undefined);
    await new Promise<void>((r) => sock.once('connect', () => r()));
    p.port = sock.localPort ?? 0;
    return p;
  }

  get closedByServer(): Promise<void> {
    return new Promise((r) =>
      this.#tcp === undefined || this.#tcp.destroyed ? r() : this.#tcp.once('close', () => r()),
    );
  }

  #deliver(b: Buffer): void {
    let m: SipMessage;
    try {
      m = parseMessage(b, this.#tcp ? { transport: 'stream' } : {});
    } catch {
      return;
    }
    this.inbox.push(m);
    const w = this.#waiters.find((x) => x.pred(m));
    if (w) {
      this.#waiters = this.#waiters.filter((x) => x !== w);
      w.resolve(m);
    }
  }

  send(text: string | Buffer, port: number): void {
    const b = typeof text === 'string' ? Buffer.from(text) : text;
    if (this.#tcp) this.#tcp.write(b);
    else this.#udp?.send(b, port, '127.0.0.1');
  }

  /** Resolves with the first message (already received or future) matching pred. */
  wait(pred: (m: SipMessage) => boolean, timeoutMs = 3000): Promise<SipMessage> {
    const have = this.inbox.find(pred);
    if (have) {
      this.inbox.splice(this.inbox.indexOf(have), 1);
      return Promise.resolve(have);
    }
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('timed out waiting for SIP message')), timeoutMs);
      this.#waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(t);
          this.inbox.splice(this.inbox.indexOf(m), 1);
          resolve(m);
        },
      });
    });
  }

  close(): void {
    this.#udp?.close();
    this.#tcp?.destroy();
  }
}

export const status = (code: number, method?: string) => (m: SipMessage) =>
  m.kind === 'response' && m.status === code && (method === undefined || m.cseq.method === method);

export const request = (method: string) => (m: SipMessage) => m.kind === 'request' && m.method === method;

export interface MsgOpts {
  transport?: 'UDP' | 'TCP';
  port: number;
  branch: string;
  callId: string;
  cseq?: number;
  toTag?: string;
  body?: string;
  extra?: string[];
}

/** A request from the peer at 127.0.0.1:port with rport, so responses come back to it. */
export function req(method: string, o: MsgOpts, cseqMethod = method): string {
  const body = o.body ?? '';
  return [
    `${method} sip:srs@127.0.0.1 SIP/2.0`,
    `Via: SIP/2.0/${o.transport ?? 'UDP'} 127.0.0.1:${o.port};branch=${o.branch};rport`,
    'Max-Forwards: 70',
    'From: "SBC" <sip:src@127.0.0.1>;tag=peer1',
    `To: <sip:srs@127.0.0.1>${o.toTag ? `;tag=${o.toTag}` : ''}`,
    `Call-ID: ${o.callId}`,
    `CSeq: ${o.cseq ?? 1} ${cseqMethod}`,
    `Contact: <sip:src@127.0.0.1:${o.port}>`,
    ...(o.extra ?? []),
    ...(body ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

/** The peer's answer to a request the stack sent it (BYE): 200 echoing the essentials. */
export function okTo(m: SipMessage): string {
  if (m.kind !== 'request') throw new Error('not a request');
  const get = (n: string): string =>
    m.headers
      .filter((h) => h.name === n)
      .map((h) => `${h.rawName}: ${h.value}`)
      .join('\r\n');
  return [
    'SIP/2.0 200 OK',
    get('via'),
    get('from'),
    get('to'),
    get('call-id'),
    get('cseq'),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}
