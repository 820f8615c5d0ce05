// Builds CRLF messages from readable line arrays for the sip unit tests, and asks whether a
// parser refuses its input with a given reason.
import { SipParseError } from '../../../agent/src/sip/index.js';

export function sip(lines: readonly string[], body = ''): Buffer {
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`, 'utf8');
}

export const BASIC_HEADERS: readonly string[] = [
  'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1;rport',
  'From: "Alice" <sip:alice@127.0.0.1>;tag=a1',
  'To: <sip:srs@127.0.0.1>',
  'Call-ID: call-1@127.0.0.1',
  'CSeq: 1 OPTIONS',
  'Max-Forwards: 70',
];

export function options(extra: readonly string[] = [], body = ''): Buffer {
  return sip(
    [
      'OPTIONS sip:srs@127.0.0.1 SIP/2.0',
      ...BASIC_HEADERS,
      ...extra,
      `Content-Length: ${Buffer.byteLength(body)}`,
    ],
    body,
  );
}

/** Whether fn throws the SipParseError with `reason` (false when it returns). */
export function refusedAs(reason: string, fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (err) {
    return err instanceof SipParseError && err.reason === reason;
  }
}
