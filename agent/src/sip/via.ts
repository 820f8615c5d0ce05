/**
 * Via (RFC 3261 §20.42, §25.1) with the LWS the torture tests put everywhere
 * (`SIP  /   2.0 / UDP  host ;branch = x`), and `received` as IPv4 or IPv6 with or
 * without brackets (RFC 5118 §4.5).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { SipParseError } from './errors.js';
import { isWs, parseParams, scanToken, skipWs, splitList } from './grammar.js';
import type { Via } from './types.js';
import { hostType, parsePort } from './uri.js';

function bad(detail: string): SipParseError {
  return new SipParseError('bad-via', detail, { header: 'via' });
}

function token(s: string, i: number): [string, number] {
  const end = scanToken(s, i);
  if (end === i) throw bad('expected a token');
  return [s.slice(i, end), end];
}

function slash(s: string, i: number): number {
  i = skipWs(s, i);
  if (s.charCodeAt(i) !== 0x2f) throw bad('expected /');
  return skipWs(s, i + 1);
}

function isAddress(v: string): boolean {
  const bare = v.startsWith('[') && v.endsWith(']') ? v.slice(1, -1) : v;
  return isIPv4(bare) || isIPv6(bare);
}

function parseOne(s: string): Via {
  let i = skipWs(s, 0);
  const [protocol, a] = token(s, i);
  const [version, b] = token(s, slash(s, a));
  const [transport, c] = token(s, slash(s, b));
  if (c >= s.length || !isWs(s.charCodeAt(c))) throw bad('expected LWS before sent-by');
  i = skipWs(s, c);
  let hostEnd: number;
  if (s.charCodeAt(i) === 0x5b) {
    hostEnd = s.indexOf(']', i);
    if (hostEnd === -1) throw bad('unterminated IPv6 reference');
    hostEnd++;
  } else {
    hostEnd = i;
    while (hostEnd < s.length && /[A-Za-z0-9._-]/.test(s[hostEnd] ?? '')) hostEnd++;
  }
  const host = s.slice(i, hostEnd);
  const type = hostType(host);
  if (type === undefined) throw bad('invalid sent-by host');
  i = skipWs(s, hostEnd);
  let port: number | undefined;
  if (s.charCodeAt(i) === 0x3a) {
    i = skipWs(s, i + 1);
    let e = i;
    while (e < s.length && s.charCodeAt(e) >= 0x30 && s.charCodeAt(e) <= 0x39) e++;
    port = parsePort(s.slice(i, e));
    if (port === undefined) throw bad('invalid sent-by port');
    i = e;
  }
  const params = parseParams(s, i);
  if (params === undefined) throw bad('invalid via parameters');
  const branch = params.get('branch');
  const received = params.get('received');
  const rportRaw = params.get('rport');
  const maddr = params.get('maddr');
  if (branch === null) throw bad('branch without value');
  if (received !== undefined && (received === null || !isAddress(received))) throw bad('invalid received');
  if (maddr === null || (maddr !== undefined && hostType(maddr) === undefined)) throw bad('invalid maddr');
  let rport: number | null | undefined;
  if (rportRaw !== undefined) {
    rport = rportRaw === null ? null : parsePort(rportRaw);
    if (rport === undefined) throw bad('invalid rport');
  }
  return {
    protocol,
    version,
    transport: transport.toUpperCase(),
    host,
    hostType: type,
    ...(port === undefined ? {} : { port }),
    params,
    ...(branch === undefined ? {} : { branch }),
    ...(received === undefined ? {} : { received }),
    ...(rport === undefined ? {} : { rport }),
    ...(maddr === undefined ? {} : { maddr }),
  };
}

/** Parses one Via header value (possibly several comma-separated via-parms). */
export function parseVia(value: string): Via[] {
  const parts = splitList(value);
  const out: Via[] = [];
  for (const p of parts) {
    if (p.length === 0) throw bad('empty via-parm');
    out.push(parseOne(p));
  }
  return out;
}
