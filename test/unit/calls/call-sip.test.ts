import assert from 'node:assert/strict';
import { contactFor, inviteHeaders, isSiprec, reofferMode } from '../../../agent/src/calls/call-sip.js';
import { parseMessage, type BoundAddress, type SipRequest } from '../../../agent/src/sip/index.js';
import { parseSdp } from '../../../agent/src/siprec/index.js';

function invite(extra: readonly string[], via = 'SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1'): SipRequest {
  const text = [
    'INVITE sip:rec@127.0.0.1 SIP/2.0',
    `Via: ${via}`,
    'Max-Forwards: 70',
    'From: <sip:src@127.0.0.1>;tag=a',
    'To: <sip:rec@127.0.0.1>',
    'Call-ID: c1@test',
    'CSeq: 1 INVITE',
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  return parseMessage(Buffer.from(text)) as SipRequest;
}

function offer(...dirs: string[]): ReturnType<typeof parseSdp> {
  const m = dirs.flatMap((d, i) => [`m=audio ${4000 + 2 * i} RTP/AVP 0`, `a=${d}`]);
  return parseSdp(
    ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', ...m, ''].join('\r\n'),
  );
}

describe('calls/call-sip', () => {
  it('tells a SIPREC INVITE by Require/Supported siprec or a +sip.src Contact', () => {
    assert.equal(isSiprec(invite(['Require: siprec'])), true);
    assert.equal(isSiprec(invite(['Supported: timer, SIPREC'])), true);
    assert.equal(isSiprec(invite(['Contact: <sip:src@127.0.0.1>;+sip.src'])), true);
    assert.equal(isSiprec(invite(['Contact: <sip:phone@127.0.0.1>', 'Supported: timer'])), false);
  });

  it('gives our Contact on the transport the request came over, bracketing IPv6', () => {
    const bound: BoundAddress[] = [
      { transport: 'udp', host: '127.0.0.1', port: 5060 },
      { transport: 'tcp', host: '::1', port: 5061 },
      { transport: 'tls', host: '0.0.0.0', port: 5062 },
    ] as BoundAddress[];
    assert.equal(contactFor(invite([]), bound, '10.0.0.9'), '<sip:callvault@127.0.0.1:5060;transport=udp>');
    const tcp = invite([], 'SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK2');
    assert.equal(contactFor(tcp, bound, '10.0.0.9'), '<sip:callvault@[::1]:5061;transport=tcp>');
    const tls = invite([], 'SIP/2.0/TLS 127.0.0.1:5070;branch=z9hG4bK3');
    assert.equal(contactFor(tls, bound, '10.0.0.9'), '<sip:callvault@10.0.0.9:5062;transport=tls>');
  });

  it('copies the headers the session reads, null when absent', () => {
    const h = inviteHeaders(invite(['X-Call-Direction: outgoing', 'Privacy: id']));
    assert.equal(h.callId, 'c1@test');
    assert.equal(h.callDirection, 'outgoing');
    assert.equal(h.privacy, 'id');
    assert.equal(h.pAssertedIdentity, null);
    assert.equal(h.consent, null);
  });

  it('reads a re-offer: all inactive pauses SIPREC and holds a plain call; sendonly holds only a plain call', () => {
    assert.equal(reofferMode(offer('inactive', 'inactive'), false), 'pause');
    assert.equal(reofferMode(offer('inactive', 'inactive'), true), 'hold');
    assert.equal(reofferMode(offer('sendonly', 'inactive'), true), 'hold');
    assert.equal(reofferMode(offer('sendonly', 'inactive'), false), 'record');
    assert.equal(reofferMode(offer('sendrecv'), true), 'record');
    assert.equal(reofferMode(offer('sendonly', 'sendonly'), false), 'record');
  });
});
