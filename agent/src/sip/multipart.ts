/**
 * Media types and multipart/mixed bodies (RFC 2046 §5.1) — a SIPREC INVITE carries SDP and
 * rs-metadata (RFC 7866) as two parts. Parts keep their bytes; only headers are decoded.
 */
import { SipParseError } from './errors.js';
import { isToken, parseParams, skipWs, scanToken } from './grammar.js';
import { normalizeHeaderName } from './headers.js';
import { findHeaderEnd, splitLines } from './parser.js';
import type { SipHeader, SipParams } from './types.js';

export interface MediaType {
  /** Lower case, e.g. 'multipart/mixed'. */
  readonly mime: string;
  readonly params: SipParams;
}

export interface BodyPart {
  readonly headers: readonly SipHeader[];
  /** Lower-case media type of the part; RFC 2046 default text/plain when absent. */
  readonly contentType: string;
  readonly contentTypeParams: SipParams;
  readonly body: Buffer;
}

function badMultipart(detail: string): SipParseError {
  return new SipParseError('bad-multipart', detail);
}

/** `type "/" subtype *( ";" param )`; undefined when malformed. */
export function parseMediaType(value: string): MediaType | undefined {
  let i = skipWs(value, 0);
  const t = scanToken(value, i);
  if (t === i || value.charCodeAt(t) !== 0x2f) return undefined;
  const s = scanToken(value, t + 1);
  if (s === t + 1) return undefined;
  const mime = value.slice(i, s).toLowerCase();
  i = s;
  const params = parseParams(value, i);
  return params === undefined ? undefined : { mime, params };
}

function unquote(v: string): string {
  return v.startsWith('"') && v.endsWith('"') && v.length >= 2 ? v.slice(1, -1).replace(/\\(.)/g, '$1') : v;
}

function parsePart(raw: Buffer): BodyPart {
  let headers: SipHeader[] = [];
  let body: Buffer;
  if (raw[0] === 0x0d && raw[1] === 0x0a) {
    body = raw.subarray(2);
  } else if (raw[0] === 0x0a) {
    body = raw.subarray(1);
  } else {
    const ends = findHeaderEnd(raw, 0);
    if (ends === undefined) throw badMultipart('part without blank line after headers');
    headers = splitLines(raw.subarray(0, ends[0]).toString('utf8')).map((line) => {
      const colon = line.indexOf(':');
      const rawName = colon > 0 ? line.slice(0, colon).trimEnd() : '';
      if (!isToken(rawName)) throw badMultipart('malformed part header');
      return { name: normalizeHeaderName(rawName), rawName, value: line.slice(colon + 1).trim() };
    });
    body = raw.subarray(ends[1]);
  }
  const ct = headers.find((h) => h.name === 'content-type');
  const mt = ct === undefined ? { mime: 'text/plain', params: new Map() } : parseMediaType(ct.value);
  if (mt === undefined) throw badMultipart('malformed part Content-Type');
  return { headers, contentType: mt.mime, contentTypeParams: mt.params, body };
}

/**
 * Splits a multipart body by the boundary of `contentType`. Throws SipParseError
 * 'bad-multipart' when the type is not multipart, the boundary is missing, or no closing
 * delimiter is found.
 */
export function parseMultipart(contentType: string, body: Buffer): BodyPart[] {
  const mt = parseMediaType(contentType);
  if (mt === undefined || !mt.mime.startsWith('multipart/')) throw badMultipart('not a multipart type');
  const b = mt.params.get('boundary');
  if (b === undefined || b === null) throw badMultipart('no boundary');
  const boundary = unquote(b);
  if (boundary.length === 0 || boundary.length > 70) throw badMultipart('bad boundary length');
  const delim = Buffer.from(`--${boundary}`, 'utf8');
  const lineDelim = Buffer.from(`\n--${boundary}`, 'utf8');
  const parts: BodyPart[] = [];
  // The first delimiter may open the body; later ones are preceded by CRLF (or LF).
  let at = body.indexOf(delim);
  if (at === -1) throw badMultipart('boundary not found');
  for (;;) {
    let p = at + delim.length;
    if (body[p] === 0x2d && body[p + 1] === 0x2d) return parts;
    while (body[p] === 0x20 || body[p] === 0x09) p++;
    if (body[p] === 0x0d) p++;
    if (body[p] !== 0x0a) throw badMultipart('delimiter line not terminated');
    p++;
    const lf = body.indexOf(lineDelim, p - 1);
    if (lf === -1) throw badMultipart('no closing delimiter');
    let end = lf;
    if (end > p && body[end - 1] === 0x0d) end--;
    if (end < p) end = p;
    parts.push(parsePart(body.subarray(p, end)));
    if (parts.length > 64) throw badMultipart('too many parts');
    at = lf + 1;
  }
}
