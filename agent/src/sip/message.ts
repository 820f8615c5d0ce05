/**
 * Builds the typed message model from a header list. The parser and the response/request
 * builders share it, so a message we build is held to the rules of one we receive.
 */
import { SipParseError } from './errors.js';
import { isToken, parseDecimal, skipWs, scanToken } from './grammar.js';
import { normalizeHeaderName } from './headers.js';
import { parseNameAddr } from './name-addr.js';
import type { CSeq, HeaderInput, NameAddr, SipHeader, SipRequest, SipResponse, Uri, Via } from './types.js';
import { parseVia } from './via.js';

/** RFC 3261 §8.1.1.5: the sequence number MUST be less than 2**31. */
const MAX_CSEQ = 2 ** 31 - 1;

export function parseCSeq(value: string): CSeq {
  const end = scanDigits(value);
  const seq = parseDecimal(value.slice(0, end), MAX_CSEQ);
  if (seq === undefined) throw new SipParseError('bad-cseq', 'sequence number not a 31-bit integer');
  const m = skipWs(value, end);
  if (m === end) throw new SipParseError('bad-cseq', 'missing LWS before method');
  const method = value.slice(m);
  if (scanToken(method, 0) !== method.length || method.length === 0) {
    throw new SipParseError('bad-cseq', 'method is not a token');
  }
  return { seq, method };
}

function scanDigits(s: string): number {
  let i = 0;
  while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
  return i;
}

/** Call-ID = word [ "@" word ]: no whitespace, not empty. */
function checkCallId(v: string): string {
  if (v.length === 0 || /\s/.test(v)) throw new SipParseError('bad-call-id', 'empty or contains whitespace');
  return v;
}

export interface TypedFields {
  via: Via[];
  from: NameAddr;
  to: NameAddr;
  callId: string;
  cseq: CSeq;
  contentLength?: number;
  maxForwards?: number;
  contentType?: string;
}

function dup(name: string): SipParseError {
  return new SipParseError('duplicate-header', 'single-valued header repeated', { header: name });
}

/**
 * Derives the typed fields; throws SipParseError on a malformed or repeated essential header or
 * when one of Via, From, To, Call-ID, CSeq is missing (no response can be built without them).
 */
export function deriveTyped(headers: readonly SipHeader[], maxContentLength: number): TypedFields {
  const via: Via[] = [];
  let from: NameAddr | undefined;
  let to: NameAddr | undefined;
  let callId: string | undefined;
  let cseq: CSeq | undefined;
  let contentLength: number | undefined;
  let maxForwards: number | undefined;
  let contentType: string | undefined;
  for (const h of headers) {
    switch (h.name) {
      case 'via':
        via.push(...parseVia(h.value));
        break;
      case 'from':
        if (from !== undefined) throw dup(h.name);
        from = parseNameAddr(h.value, 'from');
        break;
      case 'to':
        if (to !== undefined) throw dup(h.name);
        to = parseNameAddr(h.value, 'to');
        break;
      case 'call-id':
        if (callId !== undefined) throw dup(h.name);
        callId = checkCallId(h.value);
        break;
      case 'cseq':
        if (cseq !== undefined) throw dup(h.name);
        cseq = parseCSeq(h.value);
        break;
      case 'content-length':
        if (contentLength !== undefined) throw new SipParseError('content-length', 'repeated Content-Length');
        contentLength = parseDecimal(h.value, maxContentLength);
        if (contentLength === undefined) throw new SipParseError('content-length', 'not a number in range');
        break;
      case 'max-forwards':
        if (maxForwards !== undefined) throw dup(h.name);
        maxForwards = parseDecimal(h.value, 2 ** 31 - 1);
        if (maxForwards === undefined)
          throw new SipParseError('bad-header', 'Max-Forwards', { header: h.name });
        break;
      case 'content-type':
        if (contentType !== undefined) throw dup(h.name);
        contentType = h.value;
        break;
      default:
        break;
    }
  }
  if (via.length === 0) throw new SipParseError('missing-header', 'no Via', { header: 'via' });
  if (from === undefined) throw new SipParseError('missing-header', 'no From', { header: 'from' });
  if (to === undefined) throw new SipParseError('missing-header', 'no To', { header: 'to' });
  if (callId === undefined) throw new SipParseError('missing-header', 'no Call-ID', { header: 'call-id' });
  if (cseq === undefined) throw new SipParseError('missing-header', 'no CSeq', { header: 'cseq' });
  return {
    via,
    from,
    to,
    callId,
    cseq,
    ...(contentLength === undefined ? {} : { contentLength }),
    ...(maxForwards === undefined ? {} : { maxForwards }),
    ...(contentType === undefined ? {} : { contentType }),
  };
}

/** Header inputs → model headers; names must be tokens and values single-line. */
export function toHeaders(input: readonly HeaderInput[]): SipHeader[] {
  return input.map(([rawName, value]) => {
    if (!isToken(rawName) || /[\r\n]/.test(value)) {
      throw new SipParseError('bad-header', 'invalid header name or multi-line value', { header: rawName });
    }
    return { name: normalizeHeaderName(rawName), rawName, value: value.trim() };
  });
}

/** Assembles a request; Content-Length follows the body. */
export function assembleRequest(
  method: string,
  uri: string,
  requestUri: Uri,
  version: string,
  headers: readonly SipHeader[],
  body: Buffer,
  maxContentLength: number,
): SipRequest {
  return {
    kind: 'request',
    method,
    uri,
    requestUri,
    version,
    headers,
    body,
    ...deriveTyped(headers, maxContentLength),
  };
}

export function assembleResponse(
  status: number,
  reason: string,
  version: string,
  headers: readonly SipHeader[],
  body: Buffer,
  maxContentLength: number,
): SipResponse {
  return {
    kind: 'response',
    status,
    reason,
    version,
    headers,
    body,
    ...deriveTyped(headers, maxContentLength),
  };
}
