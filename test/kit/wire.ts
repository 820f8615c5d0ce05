/**
 * SIP as text for the fake SBC: parse what the daemon sends (compact names, folded lines),
 * read headers, and split a TCP byte stream into messages. No sockets here.
 */
import { randomBytes } from 'node:crypto';

export const HOST = '127.0.0.1';
export type Transport = 'udp' | 'tcp';

export const rand = (bytes: number): string => randomBytes(bytes).toString('hex');
export const branch = (): string => `z9hG4bK${rand(8)}`;

export interface SipMessage {
  readonly raw: string;
  /** Responses: the status code; requests: null. */
  readonly status: number | null;
  readonly method: string | null;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string;
}

const COMPACT: Record<string, string> = {
  v: 'via',
  f: 'from',
  t: 'to',
  i: 'call-id',
  m: 'contact',
  l: 'content-length',
  c: 'content-type',
};

export function parseSipMessage(raw: string): SipMessage {
  const split = raw.indexOf('\r\n\r\n');
  const head = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? '' : raw.slice(split + 4);
  const [start = '', ...lines] = head.split('\r\n');
  const headers: [string, string][] = [];
  for (const line of lines) {
    const prev = headers[headers.length - 1];
    if (/^[ \t]/.test(line) && prev !== undefined) prev[1] += ` ${line.trim()}`;
    const c = line.indexOf(':');
    if (c > 0 && !/^[ \t]/.test(line)) {
      const name = line.slice(0, c).trim().toLowerCase();
      headers.push([COMPACT[name] ?? name, line.slice(c + 1).trim()]);
    }
  }
  const st = /^SIP\/2\.0 (\d{3})/.exec(start);
  return {
    raw,
    status: st ? Number(st[1]) : null,
    method: st ? null : (start.split(' ')[0] ?? null),
    headers,
    body,
  };
}

export function header(msg: SipMessage, name: string): string | undefined {
  return msg.headers.find(([n]) => n === name.toLowerCase())?.[1];
}

export function cseqOf(msg: SipMessage): { n: number; method: string } | null {
  const m = /^(\d+)\s+(\S+)/.exec(header(msg, 'cseq') ?? '');
  return m ? { n: Number(m[1]), method: m[2]!.toUpperCase() } : null;
}

/** Splits a SIP byte stream into messages by Content-Length (RFC 3261 §18.3), skipping CRLF keep-alives. */
export function streamFramer(onMessage: (raw: string) => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      while (buf[0] === 0x0d || buf[0] === 0x0a) buf = buf.subarray(1);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.toString('latin1', 0, end);
      const len = Number(/^(?:content-length|l)\s*:\s*(\d+)/im.exec(head)?.[1] ?? 0);
      if (buf.length < end + 4 + len) return;
      onMessage(buf.toString('latin1', 0, end + 4 + len));
      buf = buf.subarray(end + 4 + len);
    }
  };
}
