/**
 * Building responses (RFC 3261 §8.2.6): Via, From, To, Call-ID and CSeq are copied from the
 * request, a To tag is added to every response but 100 when the request had none.
 */
import { randomBytes } from 'node:crypto';
import { SipBuildError, SipParseError } from './errors.js';
import { assembleResponse, toHeaders } from './message.js';
import type { HeaderInput, SipHeader, SipRequest, SipResponse } from './types.js';
import { validateRequest, type ValidateOptions } from './validate.js';

export interface ResponseOptions {
  /** Extra headers, after the copied ones (Contact, Allow, Supported, Content-Type, …). */
  readonly headers?: readonly HeaderInput[];
  readonly body?: Buffer;
  /** The tag to put on To when the request has none; default random. Dialogs pass theirs. */
  readonly toTag?: string;
}

const COPIED: ReadonlySet<string> = new Set(['via', 'from', 'call-id', 'cseq']);

/** A fresh tag: 64 random bits in hex. */
export function newTag(): string {
  return randomBytes(8).toString('hex');
}

/** Builds a response to `req`. Throws SipBuildError on a bad status, reason or header. */
export function makeResponse(
  req: SipRequest,
  status: number,
  reason: string,
  opts: ResponseOptions = {},
): SipResponse {
  if (!Number.isInteger(status) || status < 100 || status > 699) throw new SipBuildError(`status ${status}`);
  if (/[\r\n]/.test(reason)) throw new SipBuildError('reason phrase contains CR/LF');
  const headers: SipHeader[] = [];
  for (const h of req.headers) {
    if (COPIED.has(h.name)) {
      headers.push(h);
    } else if (h.name === 'to') {
      const needsTag = req.to.tag === undefined && status > 100;
      headers.push(needsTag ? { ...h, value: `${h.value};tag=${opts.toTag ?? newTag()}` } : h);
    }
  }
  const body = opts.body ?? Buffer.alloc(0);
  try {
    const extra = toHeaders(opts.headers ?? []).filter((h) => h.name !== 'content-length');
    headers.push(...extra, { name: 'content-length', rawName: 'Content-Length', value: String(body.length) });
    return assembleResponse(status, reason, '2.0', headers, body, Number.MAX_SAFE_INTEGER);
  } catch (err) {
    if (err instanceof SipParseError) throw new SipBuildError(`invalid header (${err.reason})`);
    throw err;
  }
}

/**
 * The error response a UAS owes a request that parsed but fails validateRequest, or undefined
 * when the request may be processed.
 */
export function responseFor(req: SipRequest, opts: ValidateOptions = {}): SipResponse | undefined {
  const p = validateRequest(req, opts);
  return p === undefined ? undefined : makeResponse(req, p.status, p.reasonPhrase, { headers: p.headers });
}
