/**
 * Header names: compact forms (RFC 3261 §7.3.3 and the RFCs that registered the others in the
 * IANA SIP header registry), case-insensitive lookup, and the conventional spelling we write.
 */
import type { SipHeader, SipMessage } from './types.js';
import { splitList } from './grammar.js';

/** Compact form → long form, lower case. */
export const COMPACT_FORMS: Readonly<Record<string, string>> = {
  a: 'accept-contact', // RFC 3841
  b: 'referred-by', // RFC 3892
  c: 'content-type', // RFC 3261
  d: 'request-disposition', // RFC 3841
  e: 'content-encoding', // RFC 3261
  f: 'from', // RFC 3261
  i: 'call-id', // RFC 3261
  j: 'reject-contact', // RFC 3841
  k: 'supported', // RFC 3261
  l: 'content-length', // RFC 3261
  m: 'contact', // RFC 3261
  n: 'identity-info', // RFC 4474
  o: 'event', // RFC 6665
  r: 'refer-to', // RFC 3515
  s: 'subject', // RFC 3261
  t: 'to', // RFC 3261
  u: 'allow-events', // RFC 6665
  v: 'via', // RFC 3261
  x: 'session-expires', // RFC 4028
  y: 'identity', // RFC 8224
};

const SPELLING: ReadonlyMap<string, string> = new Map(
  [
    'Accept',
    'Accept-Contact',
    'Accept-Encoding',
    'Accept-Language',
    'Alert-Info',
    'Allow',
    'Allow-Events',
    'Authorization',
    'Call-ID',
    'Call-Info',
    'Contact',
    'Content-Disposition',
    'Content-Encoding',
    'Content-Language',
    'Content-Length',
    'Content-Type',
    'CSeq',
    'Date',
    'Error-Info',
    'Event',
    'Expires',
    'From',
    'Identity',
    'Identity-Info',
    'In-Reply-To',
    'Max-Forwards',
    'Min-Expires',
    'Min-SE',
    'MIME-Version',
    'Organization',
    'P-Asserted-Identity',
    'Priority',
    'Proxy-Authenticate',
    'Proxy-Authorization',
    'Proxy-Require',
    'RAck',
    'Record-Route',
    'Refer-To',
    'Referred-By',
    'Reject-Contact',
    'Reply-To',
    'Request-Disposition',
    'Require',
    'Retry-After',
    'Route',
    'RSeq',
    'Server',
    'Session-Expires',
    'Subject',
    'Supported',
    'Timestamp',
    'To',
    'Unsupported',
    'User-Agent',
    'Via',
    'Warning',
    'WWW-Authenticate',
  ].map((n) => [n.toLowerCase(), n]),
);

/** 'I', 'call-ID', 'Call-Id' → 'call-id'. */
export function normalizeHeaderName(name: string): string {
  const lower = name.toLowerCase();
  return lower.length === 1 ? (COMPACT_FORMS[lower] ?? lower) : lower;
}

/** The spelling used on the wire: conventional for known headers, as received otherwise. */
export function wireName(h: Pick<SipHeader, 'name' | 'rawName'>): string {
  return SPELLING.get(h.name) ?? h.rawName;
}

/** First value of a header (any spelling or compact form), or undefined. */
export function getHeader(msg: Pick<SipMessage, 'headers'>, name: string): string | undefined {
  const n = normalizeHeaderName(name);
  for (const h of msg.headers) if (h.name === n) return h.value;
  return undefined;
}

/** Every value of a header: repeated header lines and comma-separated lists, in order. */
export function getHeaderList(msg: Pick<SipMessage, 'headers'>, name: string): string[] {
  const n = normalizeHeaderName(name);
  const out: string[] = [];
  for (const h of msg.headers) if (h.name === n) out.push(...splitList(h.value));
  return out;
}
