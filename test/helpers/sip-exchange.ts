/**
 * SIP as a probe speaks it: what a response says (status, Call-ID, CSeq), the ACK a non-2xx
 * INVITE answer needs, an OPTIONS ping over UDP and one request/response exchange over TCP.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect } from 'node:net';
import { SipStreamFramer } from '../../agent/src/sip/index.js';
import { sleep } from './until.js';

/** What a probe needs to know about the response it got: status line and the fields to match. */
export interface SeenResponse {
  readonly status: number;
  readonly callId: string;
  readonly cseq: string;
  /** Local port it arrived at (UDP) or 0 (TCP: on the request's connection). */
  readonly port: number;
}

const header = (text: string, long: string, compact: string): string =>
  new RegExp(`^(?:${long}|${compact})[ \\t]*:[ \\t]*(.*?)\\r?$`, 'im').exec(text)?.[1]?.trim() ?? '';

/** The raw Call-ID of a message (compact `i` too), '' when it has none. */
export function rawCallId(bytes: Buffer): string {
  return header(bytes.toString('latin1'), 'call-id', 'i');
}

/** Status, Call-ID and CSeq of a response that arrived at `port`; undefined for anything else. */
export function seen(bytes: Buffer, port: number): SeenResponse | undefined {
  const text = bytes.toString('latin1');
  const status = /^SIP\/2\.0 ([0-9]{3})/.exec(text)?.[1];
  if (status === undefined) return undefined;
  return {
    status: Number(status),
    callId: header(text, 'call-id', 'i'),
    cseq: header(text, 'cseq', 'cseq'),
    port,
  };
}

/** ACK for a non-2xx final response to INVITE (§17.1.1.3): stops the server's Timer G. */
export function ackFor(res: Buffer): Buffer {
  const text = res.toString('latin1');
  const via = header(text, 'via', 'v').split(',')[0] ?? '';
  const seq = header(text, 'cseq', 'cseq').split(/\s+/)[0] ?? '1';
  return Buffer.from(
    `ACK sip:ack@127.0.0.1 SIP/2.0\r\nVia: ${via}\r\nFrom: ${header(text, 'from', 'f')}\r\n` +
      `To: ${header(text, 'to', 't')}\r\nCall-ID: ${header(text, 'call-id', 'i')}\r\n` +
      `CSeq: ${seq} ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`,
    'latin1',
  );
}

/** A UDP socket on 127.0.0.1:`port` (0: any) that hands each datagram and that port to `onMessage`. */
export async function bindUdp(
  port: number,
  onMessage: (b: Buffer, port: number) => void,
): Promise<UdpSocket> {
  const s = createSocket('udp4');
  s.on('message', (b) => onMessage(b, port));
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, '127.0.0.1', () => resolve());
  });
  s.on('error', () => undefined);
  return s;
}

/** Sends OPTIONS with rport from a fresh socket and resolves with the status (0: no answer in 3 s). */
export async function optionsPing(daemonPort: number): Promise<number> {
  let status = 0;
  const s = await bindUdp(0, (b) => (status = seen(b, 0)?.status ?? status));
  const port = s.address().port;
  const id = `ping-${Date.now()}`;
  s.send(
    `OPTIONS sip:srs@127.0.0.1:${daemonPort} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${id};rport\r\n` +
      `From: <sip:probe@127.0.0.1>;tag=${id}\r\nTo: <sip:srs@127.0.0.1>\r\nCall-ID: ${id}\r\n` +
      `CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`,
    daemonPort,
    '127.0.0.1',
  );
  for (let i = 0; i < 60 && status === 0; i++) await sleep(50);
  s.close();
  return status;
}

/**
 * Sends `bytes` on a new TCP connection; collects responses until a final one (+grace) or
 * timeoutMs. Non-2xx answers to INVITE are ACKed, so no transaction lingers.
 */
export function tcpExchange(daemonPort: number, bytes: Buffer, timeoutMs: number): Promise<SeenResponse[]> {
  return new Promise((resolve) => {
    const got: SeenResponse[] = [];
    const framer = new SipStreamFramer();
    const sock = connect(daemonPort, '127.0.0.1');
    let grace: NodeJS.Timeout | undefined;
    const finish = (): void => {
      clearTimeout(timer);
      clearTimeout(grace);
      sock.destroy();
      resolve(got);
    };
    const timer = setTimeout(finish, timeoutMs);
    sock.on('connect', () => sock.write(bytes));
    sock.on('data', (d: Buffer) => {
      try {
        for (const f of framer.push(d)) {
          const r = f.type === 'message' ? seen(f.bytes, 0) : undefined;
          if (r === undefined) continue;
          got.push(r);
          // On a new connection: bytes after a message's Content-Length (RFC 5118's fixtures
          // have some) stay in this one's framer and would spoil an ACK sent behind them.
          if (f.type === 'message' && r.status >= 300 && /INVITE$/i.test(r.cseq))
            connect(daemonPort, '127.0.0.1')
              .on('error', () => undefined)
              .end(ackFor(f.bytes));
        }
      } catch {
        finish();
      }
      if (grace === undefined && got.some((r) => r.status >= 200)) grace = setTimeout(finish, 30);
    });
    sock.on('error', () => undefined);
    sock.on('close', finish);
  });
}
