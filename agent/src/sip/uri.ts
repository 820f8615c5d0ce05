/**
 * SIP-URI / SIPS-URI (RFC 3261 §19.1, §25.1) with IPv6 references checked the RFC 5118 way
 * (`[2001:db8:::1]` is not an address); any other absoluteURI is kept opaque so unknown
 * schemes in From/To/Contact still parse (RFC 4475 §3.3.4).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { SipParseError } from './errors.js';
import type { HostType, OtherUri, SipUri, Uri } from './types.js';

function table(chars: string): Uint8Array {
  const t = new Uint8Array(128);
  for (let c = 0x30; c <= 0x39; c++) t[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) t[c] = 1;
  for (let c = 0x61; c <= 0x7a; c++) t[c] = 1;
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  return t;
}

const MARK = "-_.!~*'()";
/** user = 1*( unreserved / escaped / user-unreserved ) */
const USER = table(MARK + '%&=+$,;?/');
/** password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," ) */
const PASSWORD = table(MARK + '%&=+$,');
/** paramchar = param-unreserved / unreserved / escaped */
const PARAM = table(MARK + '%[]/:&+$');
/** hname / hvalue characters plus the '=' and '&' separators. */
const HEADERS = table(MARK + '%[]/?:+$=&');
const HOSTNAME = table('-._');
const SCHEME_RE = /^[A-Za-z][A-Za-z0-9+.-]*:/;

function allIn(s: string, t: Uint8Array, allowEmpty = false): boolean {
  if (s.length === 0) return allowEmpty;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || t[c] !== 1) return false;
    if (c === 0x25) {
      const h = s.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(h)) return false;
    }
  }
  return true;
}

function bad(detail: string): SipParseError {
  return new SipParseError('bad-uri', detail);
}

/** Host as written; returns its type or undefined when it is not a host. */
export function hostType(host: string): HostType | undefined {
  if (host.startsWith('[')) {
    return host.endsWith(']') && isIPv6(host.slice(1, -1)) ? 'ipv6' : undefined;
  }
  if (/^[0-9.]+$/.test(host)) return isIPv4(host) ? 'ipv4' : undefined;
  if (!allIn(host, HOSTNAME) || host.startsWith('.') || host.startsWith('-')) return undefined;
  return 'name';
}

/** Parses a port; undefined when not 1-5 digits within 0-65535. */
export function parsePort(s: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 65535 ? n : undefined;
}

function parseSipUri(scheme: 'sip' | 'sips', rest: string): SipUri {
  let user: string | undefined;
  let password: string | undefined;
  let hostPart = rest;
  const at = rest.lastIndexOf('@');
  if (at !== -1) {
    const userinfo = rest.slice(0, at);
    hostPart = rest.slice(at + 1);
    const colon = userinfo.indexOf(':');
    user = colon === -1 ? userinfo : userinfo.slice(0, colon);
    if (colon !== -1) password = userinfo.slice(colon + 1);
    if (!allIn(user, USER)) throw bad('invalid user part');
    if (password !== undefined && !allIn(password, PASSWORD, true)) throw bad('invalid password');
  }
  let headers: string | undefined;
  const q = hostPart.indexOf('?');
  if (q !== -1) {
    headers = hostPart.slice(q + 1);
    hostPart = hostPart.slice(0, q);
    if (!allIn(headers, HEADERS)) throw bad('invalid URI headers');
  }
  const semi = hostPart.indexOf(';');
  const hostport = semi === -1 ? hostPart : hostPart.slice(0, semi);
  const params = new Map<string, string | null>();
  if (semi !== -1) {
    for (const p of hostPart.slice(semi + 1).split(';')) {
      const eq = p.indexOf('=');
      const name = eq === -1 ? p : p.slice(0, eq);
      const value = eq === -1 ? null : p.slice(eq + 1);
      if (!allIn(name, PARAM) || (value !== null && !allIn(value, PARAM))) throw bad('invalid URI parameter');
      const key = name.toLowerCase();
      if (!params.has(key)) params.set(key, value);
    }
  }
  let host = hostport;
  let port: number | undefined;
  const close = hostport.lastIndexOf(']');
  const colon = hostport.indexOf(':', close === -1 ? 0 : close);
  if (colon !== -1) {
    host = hostport.slice(0, colon);
    port = parsePort(hostport.slice(colon + 1));
    if (port === undefined) throw bad('invalid port');
  }
  const type = hostType(host);
  if (type === undefined) throw bad('invalid host');
  return {
    kind: 'sip',
    scheme,
    ...(user === undefined ? {} : { user }),
    ...(password === undefined ? {} : { password }),
    host,
    hostType: type,
    ...(port === undefined ? {} : { port }),
    params,
    ...(headers === undefined ? {} : { headers }),
  };
}

/** Parses a URI (no surrounding whitespace or angle brackets). Throws SipParseError 'bad-uri'. */
export function parseUri(text: string): Uri {
  const m = SCHEME_RE.exec(text);
  if (m === null) throw bad('no scheme');
  const scheme = m[0].slice(0, -1).toLowerCase();
  const rest = text.slice(m[0].length);
  if (rest.length === 0) throw bad('empty URI');
  for (let i = 0; i < rest.length; i++) {
    const c = rest.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || c === 0x3c || c === 0x3e || c === 0x22) throw bad('illegal character');
  }
  if (scheme === 'sip' || scheme === 'sips') return parseSipUri(scheme, rest);
  const other: OtherUri = { kind: 'other', scheme, opaque: rest };
  return other;
}
