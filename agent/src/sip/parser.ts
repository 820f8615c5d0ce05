/**
 * parseMessage: bytes → SipMessage, or SipParseError with a bounded reason. Pure; never throws
 * anything else (the fuzz test holds it to that).
 *
 * Header bytes are decoded as UTF-8 when they are valid UTF-8 (RFC 3261 TEXT-UTF8) and as
 * latin1 otherwise, so an old PBX's ISO-8859-1 display name still parses; the body stays bytes.
 */
import { isUtf8 } from 'node:buffer';
import { SipParseError } from './errors.js';
import { isToken, parseDecimal } from './grammar.js';
import { normalizeHeaderName } from './headers.js';
import { assembleRequest, assembleResponse } from './message.js';
import type { SipHeader, SipMessage } from './types.js';
import { parseUri } from './uri.js';

/** Default cap on one message, headers plus body. */
export const DEFAULT_MAX_MESSAGE_BYTES = 65_535;
/** More header lines than any real SBC sends; bounds the work one datagram can cause. */
export const MAX_HEADER_LINES = 512;

export interface ParseOptions {
  /** Messages larger than this are refused with 'too-large'. Default DEFAULT_MAX_MESSAGE_BYTES. */
  readonly maxMessageBytes?: number;
  /**
   * 'datagram' (default): bytes after Content-Length are ignored (RFC 3261 §18.3) and a missing
   * Content-Length means "the rest of the datagram". 'stream': Content-Length is mandatory and
   * the buffer must hold exactly one message (what SipStreamFramer yields).
   */
  readonly transport?: 'datagram' | 'stream';
}

/**
 * Finds the blank line that ends the header section, accepting CRLF or bare LF line ends.
 * Returns [end of the last header line, start of body] or undefined.
 */
export function findHeaderEnd(buf: Buffer, from: number): [number, number] | undefined {
  let i = buf.indexOf(0x0a, from);
  while (i !== -1) {
    const next = buf[i + 1];
    if (next === 0x0a) return [i, i + 2];
    if (next === 0x0d && buf[i + 2] === 0x0a) return [i, i + 3];
    if (next === undefined || (next === 0x0d && i + 2 >= buf.length)) return undefined;
    i = buf.indexOf(0x0a, i + 1);
  }
  return undefined;
}

function decode(buf: Buffer, start: number, end: number): string {
  const slice = buf.subarray(start, end);
  return isUtf8(slice) ? slice.toString('utf8') : slice.toString('latin1');
}

/** Splits the header section into unfolded header lines (the start line first). */
export function splitLines(text: string): string[] {
  const raw = text.split('\n');
  const out: string[] = [];
  for (let line of raw) {
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const c = line.charCodeAt(0);
    if ((c === 0x20 || c === 0x09) && out.length > 0) {
      // RFC 3261 §7.3.1: a continuation line folds into the previous one as a single SP.
      out[out.length - 1] = `${out[out.length - 1] ?? ''} ${line.trim()}`;
    } else {
      out.push(line);
    }
  }
  return out;
}

function parseHeaderLine(line: string): SipHeader {
  const colon = line.indexOf(':');
  if (colon <= 0) throw new SipParseError('bad-header', 'header line without name or colon');
  const rawName = line.slice(0, colon).trimEnd();
  if (!isToken(rawName)) throw new SipParseError('bad-header', 'header name is not a token');
  return { name: normalizeHeaderName(rawName), rawName, value: line.slice(colon + 1).trim() };
}

const VERSION_RE = /^SIP\/([0-9]+\.[0-9]+)$/i;

/** Parses one SIP message. Throws SipParseError only. */
export function parseMessage(buf: Buffer, opts: ParseOptions = {}): SipMessage {
  const maxBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const stream = opts.transport === 'stream';
  if (buf.length > maxBytes) throw new SipParseError('too-large', `message over ${maxBytes} bytes`);
  let start = 0;
  // RFC 3261 §7.5: CRLFs before the start line are ignored.
  while (start < buf.length && (buf[start] === 0x0d || buf[start] === 0x0a)) start++;
  if (start === buf.length) throw new SipParseError('empty', 'no start line');
  const ends = findHeaderEnd(buf, start);
  if (ends === undefined && stream) throw new SipParseError('truncated', 'no end of headers');
  // A datagram whose header section is not closed by a blank line is read as headers only.
  const [headEnd, bodyStart] = ends ?? [buf.length, buf.length];
  const lines = splitLines(decode(buf, start, headEnd));
  if (lines.length > MAX_HEADER_LINES) throw new SipParseError('too-many-headers', 'too many header lines');
  const headers: SipHeader[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.length === 0 && i === lines.length - 1) break;
    headers.push(parseHeaderLine(line));
  }
  let declared: number | undefined;
  for (const h of headers) {
    if (h.name !== 'content-length') continue;
    if (declared !== undefined) throw new SipParseError('content-length', 'repeated Content-Length');
    declared = parseDecimal(h.value, maxBytes);
    if (declared === undefined) throw new SipParseError('content-length', 'not a number in range');
  }
  const available = buf.length - bodyStart;
  if (declared === undefined && stream) throw new SipParseError('content-length', 'required on streams');
  if (declared !== undefined && declared > available) {
    throw new SipParseError(stream ? 'truncated' : 'content-length', 'Content-Length beyond the message');
  }
  const body = buf.subarray(bodyStart, bodyStart + (declared ?? available));
  return assembleStartLine(lines[0] ?? '', headers, body, maxBytes);
}

function assembleStartLine(line: string, headers: SipHeader[], body: Buffer, maxBytes: number): SipMessage {
  if (line.startsWith('SIP/') || line.startsWith('sip/')) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase; an absent phrase is tolerated.
    const sp1 = line.indexOf(' ');
    const version = VERSION_RE.exec(sp1 === -1 ? line : line.slice(0, sp1))?.[1];
    const code = sp1 === -1 ? '' : line.slice(sp1 + 1, sp1 + 4);
    const after = line.charCodeAt(sp1 + 4);
    if (
      version === undefined ||
      !/^[1-6][0-9][0-9]$/.test(code) ||
      !(Number.isNaN(after) || after === 0x20)
    ) {
      throw new SipParseError('bad-start-line', 'malformed status line');
    }
    const reason = line.slice(sp1 + 5);
    if (/[\r\n\0]/.test(reason)) throw new SipParseError('bad-start-line', 'control character in reason');
    return assembleResponse(Number(code), reason, version, headers, body, maxBytes);
  }
  // Request-Line = Method SP Request-URI SP SIP-Version: exactly two single spaces.
  const parts = line.split(' ');
  if (parts.length !== 3) throw new SipParseError('bad-start-line', 'request line is not three elements');
  const [method = '', uri = '', versionText = ''] = parts;
  if (!isToken(method)) throw new SipParseError('bad-start-line', 'method is not a token');
  const version = VERSION_RE.exec(versionText)?.[1];
  if (version === undefined) throw new SipParseError('bad-start-line', 'malformed SIP-Version');
  const requestUri = parseUri(uri);
  return assembleRequest(method, uri, requestUri, version, headers, body, maxBytes);
}
