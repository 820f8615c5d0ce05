/**
 * serializeMessage: SipMessage → bytes. Header order and values are kept; exactly one
 * Content-Length is written and it always equals the body length (where the first one was, or
 * last), so what we send frames correctly on any transport.
 */
import { wireName } from './headers.js';
import type { SipMessage } from './types.js';

export function startLine(msg: SipMessage): string {
  return msg.kind === 'request'
    ? `${msg.method} ${msg.uri} SIP/${msg.version}`
    : `SIP/${msg.version} ${msg.status} ${msg.reason}`;
}

export function serializeMessage(msg: SipMessage): Buffer {
  let head = startLine(msg) + '\r\n';
  let wroteLength = false;
  for (const h of msg.headers) {
    if (h.name === 'content-length') {
      if (!wroteLength) head += `Content-Length: ${msg.body.length}\r\n`;
      wroteLength = true;
      continue;
    }
    head += `${wireName(h)}: ${h.value}\r\n`;
  }
  if (!wroteLength) head += `Content-Length: ${msg.body.length}\r\n`;
  head += '\r\n';
  if (msg.body.length === 0) return Buffer.from(head, 'utf8');
  const headLen = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headLen + msg.body.length);
  out.write(head, 0, 'utf8');
  msg.body.copy(out, headLen);
  return out;
}
