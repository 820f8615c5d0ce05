import assert from 'node:assert/strict';
import { parseSdp, SdpError } from '../../../agent/src/siprec/index.js';

const crlf = (lines: string[]): string => `${lines.join('\r\n')}\r\n`;
const BASE = ['v=0', 'o=- 1 2 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0'];

function sdpErr(code: string, line?: number) {
  return (e: unknown): boolean =>
    e instanceof SdpError && e.code === code && (line === undefined || e.context['line'] === line);
}

describe('siprec/sdp', function () {
  this.timeout(2000);

  it('parses session and media level fields of a SIPREC offer', () => {
    const sdp = parseSdp(
      crlf([
        ...BASE,
        'm=audio 30000 RTP/AVP 8 0 101',
        'a=rtpmap:8 PCMA/8000',
        'a=rtpmap:101 telephone-event/8000',
        'a=fmtp:101 0-15',
        'a=ptime:20',
        'a=maxptime:150',
        'a=rtcp:30001 IN IP4 192.0.2.9',
        'a=label:96',
        'a=sendonly',
        'm=audio 30002 RTP/AVP 0',
        'c=IN IP6 2001:db8::1',
        'a=label:97',
      ]),
    );
    assert.equal(sdp.origin.sessionId, '1');
    assert.equal(sdp.origin.sessionVersion, '2');
    assert.equal(sdp.media.length, 2);
    const [a, b] = sdp.media;
    assert.equal(a?.port, 30000);
    assert.equal(a?.protocol, 'RTP/AVP');
    assert.deepEqual(a?.formats, ['8', '0', '101']);
    assert.deepEqual(
      a?.rtpmaps.map((m) => `${m.payloadType}:${m.encoding}/${m.clockRate}`),
      ['8:PCMA/8000', '0:PCMU/8000', '101:telephone-event/8000'],
      'static PT 0 gets its RFC 3551 mapping, in m-line order',
    );
    assert.equal(a?.fmtps.get(101), '0-15');
    assert.equal(a?.label, '96');
    assert.equal(a?.direction, 'sendonly');
    assert.equal(a?.ptimeMs, 20);
    assert.equal(a?.maxptimeMs, 150);
    assert.deepEqual(a?.rtcp, { port: 30001, address: '192.0.2.9' });
    assert.deepEqual(a?.connection, { addrType: 'IP4', address: '192.0.2.1' }, 'session c= applies');
    assert.deepEqual(b?.connection, { addrType: 'IP6', address: '2001:db8::1' }, 'media c= overrides');
    assert.equal(b?.direction, 'sendrecv', 'no direction attribute means sendrecv');
    assert.equal(b?.index, 1);
  });

  it('applies a session-level direction to media without their own', () => {
    const sdp = parseSdp(
      crlf([...BASE, 'a=inactive', 'm=audio 1000 RTP/AVP 0', 'm=audio 1002 RTP/AVP 0', 'a=sendonly']),
    );
    assert.equal(sdp.direction, 'inactive');
    assert.deepEqual(
      sdp.media.map((m) => m.direction),
      ['inactive', 'sendonly'],
    );
  });

  it('keeps SDES crypto lines for SRTP', () => {
    const sdp = parseSdp(
      crlf([
        ...BASE,
        'm=audio 1000 RTP/SAVP 0',
        'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32 UNENCRYPTED_SRTCP',
      ]),
    );
    assert.deepEqual(sdp.media[0]?.crypto, [
      {
        tag: 1,
        suite: 'AES_CM_128_HMAC_SHA1_80',
        keyParams: 'inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32',
        sessionParams: ['UNENCRYPTED_SRTCP'],
      },
    ]);
  });

  it('tolerates unknown lines and attributes, LF line ends and trailing blanks', () => {
    const text = [
      'v=0',
      'o=- 1 1 IN IP4 10.0.0.1',
      's=x',
      'b=AS:64',
      'z=0 0',
      'm=audio 1 RTP/AVP 0',
      'a=ssrc:1 cname:x',
      'a=rtcp-rsize',
      'x=whatever',
      '',
      '',
    ].join('\n');
    const sdp = parseSdp(text);
    assert.equal(
      sdp.media[0]?.attributes.some((a) => a.name === 'ssrc' && a.value === '1 cname:x'),
      true,
    );
    assert.equal(
      sdp.media[0]?.attributes.some((a) => a.name === 'rtcp-rsize' && a.value === null),
      true,
    );
  });

  it('names the line of a malformed line', () => {
    assert.throws(() => parseSdp(crlf([...BASE, 'this is not sdp'])), sdpErr('CV_ERR_SDP_SYNTAX', 6));
    assert.throws(() => parseSdp(crlf([...BASE, 'm=audio 70000 RTP/AVP 0'])), sdpErr('CV_ERR_SDP_MEDIA', 6));
    assert.throws(() => parseSdp(crlf([...BASE, 'm=audio 1000 RTP/AVP'])), sdpErr('CV_ERR_SDP_MEDIA', 6));
    assert.throws(
      () => parseSdp(crlf([...BASE, 'm=audio 1000 RTP/AVP 0', 'a=rtpmap:0 PCMU'])),
      sdpErr('CV_ERR_SDP_ATTRIBUTE', 7),
    );
    assert.throws(
      () => parseSdp(crlf([...BASE, 'm=audio 1000 RTP/AVP 0', 'a=rtpmap:300 X/8000'])),
      sdpErr('CV_ERR_SDP_ATTRIBUTE', 7),
    );
    assert.throws(
      () => parseSdp(crlf([...BASE, 'm=audio 1000 RTP/AVP 0', 'a=ptime:-5'])),
      sdpErr('CV_ERR_SDP_ATTRIBUTE', 7),
    );
    assert.throws(
      () => parseSdp(crlf(['v=0', 'o=- 1 1 IN IP4 1.2.3.4', 's=-', 'c=IN IP9 1.2.3.4'])),
      sdpErr('CV_ERR_SDP_CONNECTION', 4),
    );
  });

  it('requires v=0 first and an o= and s= line', () => {
    assert.throws(() => parseSdp(''), sdpErr('CV_ERR_SDP_VERSION'));
    assert.throws(() => parseSdp('o=- 1 1 IN IP4 1.2.3.4\r\nv=0\r\n'), sdpErr('CV_ERR_SDP_VERSION', 1));
    assert.throws(() => parseSdp('v=1\r\n'), sdpErr('CV_ERR_SDP_VERSION', 1));
    assert.throws(() => parseSdp('v=0\r\ns=-\r\n'), sdpErr('CV_ERR_SDP_SYNTAX'));
    assert.throws(() => parseSdp('v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n'), sdpErr('CV_ERR_SDP_SYNTAX'));
  });
});
