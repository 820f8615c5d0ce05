/**
 * The SIP leg of `callvaultctl test-call` over the transport a production box listens on: UDP
 * (with RFC 3261 retransmission), TCP, or TLS (sip.tls, the production default). The channel
 * is bound to a chosen local address so the call can come from one sip.trusted admits.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { UserError } from '../common/index.js';

export type SipTransport = 'udp' | 'tcp' | 'tls';

const SIP_TIMEOUT_MS = 5000;

export class TestCallError extends UserError {
  constructor(message: string) {
    super('CV_ERR_CLI_TEST_CALL', `test call: ${message}`);
  }
}

export function statusOf(msg: string): number {
  const m = /^SIP\/2\.0 (\d{3})/.exec(msg);
  return m === null ? 0 : Number(m[1]);
}

export interface SipChannel {
  readonly transport: SipTransport;
  readonly localHost: string;
  readonly localPort: number;
  /** Sends `request` until a final response for `method` arrives (bounded). */
  transact(request: string, method: string): Promise<string>;
  send(message: string): void;
  close(): void;
}

type Listener = (msg: string) => void;

function finalFor(method: string, msg: string): boolean {
  return new RegExp(`^CSeq:\\s*\\d+\\s+${method}`, 'im').test(msg) && statusOf(msg) >= 200;
}

/** Waits for the final answer; `retransmit` (UDP only) re-sends on Timer A's schedule. */
function awaitFinal(
  subscribe: (l: Listener) => () => void,
  method: string,
  where: string,
  retransmit: (() => void) | null,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let interval = 500;
    let timer: NodeJS.Timeout | undefined;
    if (retransmit !== null) {
      timer = setTimeout(function again() {
        retransmit();
        interval = Math.min(interval * 2, 4000);
        timer = setTimeout(again, interval);
      }, interval);
    }
    const deadline = setTimeout(
      () => finish(new TestCallError(`no final answer to ${method} from ${where}`)),
      SIP_TIMEOUT_MS,
    );
    const unsubscribe = subscribe((msg) => {
      if (finalFor(method, msg)) finish(null, msg);
    });
    const finish = (err: Error | null, msg?: string): void => {
      clearTimeout(timer);
      clearTimeout(deadline);
      unsubscribe();
      if (err !== null) reject(err);
      else resolve(msg!);
    };
  });
}

async function udpChannel(from: string, to: { host: string; port: number }): Promise<SipChannel> {
  const sock: UdpSocket = createSocket(from.includes(':') ? 'udp6' : 'udp4');
  sock.bind(0, from);
  await once(sock, 'listening');
  const send = (m: string): void => void sock.send(m, to.port, to.host);
  return {
    transport: 'udp',
    localHost: from,
    localPort: sock.address().port,
    send,
    transact: (request, method) => {
      send(request);
      const subscribe = (l: Listener): (() => void) => {
        const h = (b: Buffer): void => l(b.toString('latin1'));
        sock.on('message', h);
        return () => sock.off('message', h);
      };
      return awaitFinal(subscribe, method, `udp ${to.host}:${to.port}`, () => send(request));
    },
    close: () => sock.close(),
  };
}

/** Splits a SIP byte stream into messages by their Content-Length (RFC 3261 §18.3). */
function framer(onMessage: Listener): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (let i = 0; i < 100; i++) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      const len = Number(/^(?:Content-Length|l)\s*:\s*(\d+)/im.exec(head)?.[1] ?? 0);
      if (buf.length < end + 4 + len) return;
      onMessage(buf.subarray(0, end + 4 + len).toString('latin1'));
      buf = buf.subarray(end + 4 + len);
    }
  };
}

/** The certificate the daemon is configured with, to check that TLS reached this appliance. */
function configuredFingerprint(certFile: string | null): string | null {
  if (certFile === null) return null;
  try {
    return new X509Certificate(readFileSync(certFile)).fingerprint256;
  } catch {
    return null; // not readable by this user: the connection is still encrypted
  }
}

async function streamChannel(
  transport: 'tcp' | 'tls',
  from: string,
  to: { host: string; port: number },
  certFile: string | null,
): Promise<SipChannel> {
  const where = `${transport} ${to.host}:${to.port}`;
  let sock: Socket | TLSSocket;
  if (transport === 'tls') {
    // The peer is this appliance: its certificate is pinned to sip.tls_cert below instead of
    // a CA chain (a self-signed or private-CA certificate is normal here).
    const raw = tcpConnect({ host: to.host, port: to.port, localAddress: from });
    raw.on('error', (err) => sock.destroy(err));
    sock = tlsConnect({ socket: raw, rejectUnauthorized: false });
  } else sock = tcpConnect({ host: to.host, port: to.port, localAddress: from });
  const connected = transport === 'tls' ? 'secureConnect' : 'connect';
  const timeout = setTimeout(
    () => sock.destroy(new TestCallError(`cannot connect to ${where}: timed out`)),
    SIP_TIMEOUT_MS,
  );
  try {
    await once(sock, connected);
  } catch (err) {
    throw new TestCallError(
      `cannot connect to ${where}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  } finally {
    clearTimeout(timeout);
  }
  if (transport === 'tls') {
    const want = configuredFingerprint(certFile);
    const got = (sock as TLSSocket).getPeerX509Certificate()?.fingerprint256;
    if (want !== null && got !== want) {
      sock.destroy();
      throw new TestCallError(`${where} presented a certificate other than sip.tls_cert (${got ?? 'none'})`);
    }
  }
  const listeners = new Set<Listener>();
  sock.on(
    'data',
    framer((m) => listeners.forEach((l) => l(m))),
  );
  sock.on('error', () => undefined); // reported as "no final answer"
  const send = (m: string): void => void sock.write(m);
  return {
    transport,
    localHost: from,
    localPort: sock.localPort ?? 0,
    send,
    transact: (request, method) => {
      send(request);
      const subscribe = (l: Listener): (() => void) => {
        listeners.add(l);
        return () => listeners.delete(l);
      };
      return awaitFinal(subscribe, method, where, null);
    },
    close: () => sock.destroy(),
  };
}

export function openSipChannel(
  transport: SipTransport,
  from: string,
  to: { host: string; port: number },
  certFile: string | null,
): Promise<SipChannel> {
  return transport === 'udp' ? udpChannel(from, to) : streamChannel(transport, from, to, certFile);
}
