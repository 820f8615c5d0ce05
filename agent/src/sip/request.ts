/**
 * Building requests we originate (BYE on shutdown, RTP timeout, disk full, lost ACK) and the
 * received/rport stamping a server transport applies to every request (RFC 3261 §18.2.1,
 * RFC 3581 §4).
 */
import { SipBuildError, SipParseError } from './errors.js';
import { assembleRequest, toHeaders } from './message.js';
import type { HeaderInput, SipHeader, SipRequest } from './types.js';
import { parseUri } from './uri.js';
import { parseVia } from './via.js';

export interface RequestInput {
  readonly method: string;
  readonly uri: string;
  readonly headers: readonly HeaderInput[];
  readonly body?: Buffer;
}

/** Builds a request; Content-Length follows the body. Throws SipBuildError when malformed. */
export function makeRequest(input: RequestInput): SipRequest {
  const body = input.body ?? Buffer.alloc(0);
  try {
    const headers = toHeaders(input.headers).filter((h) => h.name !== 'content-length');
    headers.push({ name: 'content-length', rawName: 'Content-Length', value: String(body.length) });
    return assembleRequest(
      input.method,
      input.uri,
      parseUri(input.uri),
      '2.0',
      headers,
      body,
      Number.MAX_SAFE_INTEGER,
    );
  } catch (err) {
    if (err instanceof SipParseError) throw new SipBuildError(`${input.method}: ${err.reason}`);
    throw err;
  }
}

function stripParam(value: string, name: string): string {
  // The whole name only: `;receivedrport=…` is a parameter of its own, not `received`.
  return value.replace(new RegExp(`\\s*;\\s*${name}(?=\\s*(?:[=;,]|$))(\\s*=\\s*[^;,]*)?`, 'gi'), '');
}

/**
 * Returns the request with its top Via stamped with where it really came from: `received`
 * when the sent-by host is not the source address, and `rport=<source port>` when the client
 * asked for it. Responses are then routed from the stamped Via.
 */
export function stampReceived(req: SipRequest, address: string, port: number): SipRequest {
  const top = req.via[0];
  if (top === undefined) return req;
  const bareHost = top.host.startsWith('[') ? top.host.slice(1, -1) : top.host;
  const needReceived = bareHost.toLowerCase() !== address.toLowerCase();
  const needRport = top.rport !== undefined;
  if (!needReceived && !needRport) return req;
  const idx = req.headers.findIndex((h) => h.name === 'via');
  const header = req.headers[idx];
  if (header === undefined) return req;
  // Only the first via-parm of the first Via line is ours to stamp.
  const comma = firstViaEnd(header.value);
  let first = header.value.slice(0, comma);
  if (needReceived) first = `${stripParam(first, 'received')};received=${address}`;
  if (needRport) first = `${stripParam(first, 'rport')};rport=${port}`;
  const value = first + header.value.slice(comma);
  const headers: SipHeader[] = req.headers.slice();
  headers[idx] = { ...header, value };
  const via = [...parseVia(value), ...req.via.slice(parseVia(header.value).length)];
  return { ...req, headers, via };
}

function firstViaEnd(value: string): number {
  let inQuote = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '"') inQuote = !inQuote;
    else if (c === ',' && !inQuote) return i;
  }
  return value.length;
}
