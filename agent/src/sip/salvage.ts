/**
 * A 400 for a request that failed to parse. RFC 4475 expects invalid requests to get 400, but a
 * parse failure leaves no model to answer from; the raw Via/From/To/Call-ID/CSeq lines are echoed
 * verbatim (the first of a repeated From/To/Call-ID/CSeq, RFC 4475 multi01) into a minimal 400
 * sent to the packet's source only. Via and CSeq are what a client matches a response with
 * (RFC 3261 §17.1.3), so those must be there; From, To and Call-ID are echoed when present and
 * left out when not (RFC 4475 §3.3.1 insuf lacks all three and "ideally" gets 400). Without Via
 * or CSeq the request is just dropped.
 */
import { randomBytes } from 'node:crypto';
import { normalizeHeaderName } from './headers.js';
import { splitLines } from './parser.js';

const ECHOED = ['via', 'from', 'to', 'call-id', 'cseq'] as const;
/** Without these a client cannot match the response to its transaction. */
const REQUIRED = ['via', 'cseq'] as const;

export function salvageBadRequest(bytes: Buffer, label: string): Buffer | undefined {
  let start = 0;
  while (start < bytes.length && (bytes[start] === 0x0d || bytes[start] === 0x0a)) start++;
  const end = bytes.indexOf('\r\n\r\n', start);
  const head = bytes.subarray(start, end === -1 ? Math.min(bytes.length, 65_535) : end).toString('latin1');
  const lines = splitLines(head);
  const first = lines[0] ?? '';
  const method = /^([A-Za-z0-9.!%*_+`'~-]+) /.exec(first)?.[1];
  if (method === undefined || first.startsWith('SIP/') || method === 'ACK') return undefined;
  const found = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = normalizeHeaderName(line.slice(0, colon).trim());
    if (!(ECHOED as readonly string[]).includes(name)) continue;
    const value = line.slice(colon + 1).trim();
    if (value.length === 0 || /[\0\r\n]/.test(value)) return undefined;
    found.set(name, [...(found.get(name) ?? []), value]);
  }
  for (const name of REQUIRED) if ((found.get(name)?.length ?? 0) === 0) return undefined;
  const cseq = found.get('cseq')?.[0] ?? '';
  if (/\bACK$/i.test(cseq)) return undefined;
  const out = [`SIP/2.0 400 Bad Request (${label})`];
  for (const v of found.get('via') ?? []) out.push(`Via: ${v}`);
  const from = found.get('from')?.[0];
  if (from !== undefined) out.push(`From: ${from}`);
  let to = found.get('to')?.[0];
  if (to !== undefined) {
    if (!/;\s*tag\s*=/i.test(to)) to += `;tag=${randomBytes(8).toString('hex')}`;
    out.push(`To: ${to}`);
  }
  const callId = found.get('call-id')?.[0];
  if (callId !== undefined) out.push(`Call-ID: ${callId}`);
  out.push(`CSeq: ${cseq}`, 'Content-Length: 0', '', '');
  return Buffer.from(out.join('\r\n'), 'latin1');
}
