import assert from 'node:assert/strict';
import {
  answerFor,
  chooseCodecs,
  extractOfferBodies,
  parseSdp,
  NoUsableStreamError,
  PortAllocationError,
  type AnswerOptions,
} from '../../../agent/src/siprec/index.js';
import { loadInvite } from './fixtures.js';

const crlf = (lines: string[]): string => `${lines.join('\r\n')}\r\n`;
const HEAD = ['v=0', 'o=SBC 9 9 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0'];
const stream = (port: number, label: string | null, fmts: string, extra: string[] = []): string[] => [
  `m=audio ${port} RTP/AVP ${fmts}`,
  ...extra,
  ...(label === null ? [] : [`a=label:${label}`]),
  'a=sendonly',
];

/** A port allocator that hands out 40000, 40002, … and records every request. */
function allocator(): { options: Pick<AnswerOptions, 'allocatePorts'>; requests: number[] } {
  let next = 40000;
  const requests: number[] = [];
  return {
    requests,
    options: {
      allocatePorts: (count) => {
        requests.push(count);
        return Array.from({ length: count }, () => ((next += 2), next - 2));
      },
    },
  };
}

function mLines(sdp: string): string[] {
  return sdp.split('\r\n').filter((l) => l.startsWith('m='));
}

/** The attribute lines of the n-th m-section of an answer. */
function section(sdp: string, n: number): string[] {
  const parts = sdp.split(/\r\n(?=m=)/);
  return (parts[n + 1] ?? '').split('\r\n').filter((l) => l !== '');
}

describe('siprec/sdp-answer', function () {
  this.timeout(2000);

  it('answers one recvonly m-line per offered stream, same order, labels echoed', () => {
    const offer = parseSdp(
      crlf([
        ...HEAD,
        ...stream(1000, '1', '0 101', ['a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16']),
        ...stream(1002, '2', '0'),
      ]),
    );
    const { options } = allocator();
    const ans = answerFor(offer, { ...options, localAddress: '127.0.0.1', sessionId: '77' });
    assert.deepEqual(mLines(ans.sdp), ['m=audio 40000 RTP/AVP 0 101', 'm=audio 40002 RTP/AVP 0']);
    assert.deepEqual(section(ans.sdp, 0), [
      'm=audio 40000 RTP/AVP 0 101',
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-16',
      'a=label:1',
      'a=recvonly',
    ]);
    assert.deepEqual(section(ans.sdp, 1), [
      'm=audio 40002 RTP/AVP 0',
      'a=rtpmap:0 PCMU/8000',
      'a=label:2',
      'a=recvonly',
    ]);
    assert.ok(
      ans.sdp.startsWith(
        'v=0\r\no=callvault 77 1 IN IP4 127.0.0.1\r\ns=callvault\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n',
      ),
    );
    assert.ok(ans.sdp.endsWith('\r\n'));
    const reparsed = parseSdp(ans.sdp);
    assert.deepEqual(
      reparsed.media.map((m) => [m.label, m.direction]),
      [
        ['1', 'recvonly'],
        ['2', 'recvonly'],
      ],
    );
  });

  it('removes codecs we do not decode and keeps the offer order of the rest', () => {
    const offer = parseSdp(
      crlf([
        ...HEAD,
        ...stream(1000, '1', '96 18 9 8 3 101', [
          'a=rtpmap:96 opus/48000/2',
          'a=rtpmap:101 telephone-event/8000',
        ]),
      ]),
    );
    const ans = answerFor(offer, { ...allocator().options, localAddress: '127.0.0.1' });
    assert.deepEqual(mLines(ans.sdp), ['m=audio 40000 RTP/AVP 9 8 101']);
    assert.doesNotMatch(ans.sdp, /opus|G729|GSM/);
    assert.equal(ans.streams[0]?.codecs?.codec.encoding, 'G722');
  });

  it('gives port 0 to a stream with no common codec and to non-audio streams, keeping the others', () => {
    const offer = parseSdp(
      crlf([
        ...HEAD,
        ...stream(1000, 'a_leg', '18'),
        ...stream(1002, 'b_leg', '8'),
        'm=video 1004 RTP/AVP 96',
        'a=rtpmap:96 H264/90000',
      ]),
    );
    const { options, requests } = allocator();
    const ans = answerFor(offer, { ...options, localAddress: '127.0.0.1' });
    assert.deepEqual(mLines(ans.sdp), [
      'm=audio 0 RTP/AVP 18',
      'm=audio 40000 RTP/AVP 8',
      'm=video 0 RTP/AVP 96',
    ]);
    assert.deepEqual(
      ans.streams.map((s) => s.rejectReason),
      ['no_common_codec', null, 'not_audio'],
    );
    assert.deepEqual(requests, [1], 'ports are allocated only for accepted streams');
    assert.deepEqual(section(ans.sdp, 0), ['m=audio 0 RTP/AVP 18', 'a=label:a_leg']);
  });

  it('telephone-event alone is not a usable stream', () => {
    const offer = parseSdp(
      crlf([...HEAD, ...stream(1000, '1', '101', ['a=rtpmap:101 telephone-event/8000'])]),
    );
    assert.equal(chooseCodecs(offer.media[0]!), null);
  });

  it('no usable stream → CV_ERR_SDP_NO_USABLE_STREAM and no ports allocated', () => {
    const offer = parseSdp(crlf([...HEAD, ...stream(1000, '1', '18'), ...stream(1002, '2', '4')]));
    const { options, requests } = allocator();
    assert.throws(
      () => answerFor(offer, { ...options, localAddress: '127.0.0.1' }),
      (e: unknown) => e instanceof NoUsableStreamError && e.code === 'CV_ERR_SDP_NO_USABLE_STREAM',
    );
    assert.deepEqual(requests, []);
  });

  it('the G.729-only fixture is refused with CV_ERR_SDP_NO_USABLE_STREAM', () => {
    const inv = loadInvite('no-common-codec.sip');
    const { sdp } = extractOfferBodies(inv.headers.get('content-type'), inv.body);
    assert.throws(
      () => answerFor(parseSdp(sdp ?? ''), { ...allocator().options, localAddress: '127.0.0.1' }),
      (e: unknown) => e instanceof NoUsableStreamError && e.context['reasons'] === 'no_common_codec',
    );
  });

  it('a re-offer with the same labels keeps the same ports and bumps the version', () => {
    const first = parseSdp(crlf([...HEAD, ...stream(1000, '1', '0'), ...stream(1002, '2', '0')]));
    const { options, requests } = allocator();
    const a1 = answerFor(first, { ...options, localAddress: '127.0.0.1', sessionId: '5' });
    // Re-INVITE: streams swapped in order, the second now inactive (pause), plus a new third stream.
    const reoffer = parseSdp(
      crlf([
        ...HEAD,
        ...stream(2002, '2', '0'),
        'm=audio 2000 RTP/AVP 8',
        'a=label:1',
        'a=inactive',
        ...stream(2004, '3', '8'),
      ]),
    );
    const a2 = answerFor(reoffer, { ...options, localAddress: '127.0.0.1', previous: a1 });
    assert.deepEqual(
      a2.streams.map((s) => [s.label, s.port]),
      [
        ['2', 40002],
        ['1', 40000],
        ['3', 40004],
      ],
    );
    assert.deepEqual(requests, [2, 1]);
    assert.equal(a2.sessionId, '5');
    assert.equal(a2.sessionVersion, '2');
    assert.match(a2.sdp, /^o=callvault 5 2 IN IP4/m);
    assert.equal(a2.streams[1]?.direction, 'inactive', 'an inactive offer is answered inactive');
    assert.deepEqual(a2.releasedPorts, []);
  });

  it('reports the ports a re-offer no longer uses', () => {
    const first = parseSdp(crlf([...HEAD, ...stream(1000, '1', '0'), ...stream(1002, '2', '0')]));
    const { options } = allocator();
    const a1 = answerFor(first, { ...options, localAddress: '127.0.0.1' });
    const a2 = answerFor(parseSdp(crlf([...HEAD, ...stream(1000, '1', '0'), ...stream(1002, '2', '18')])), {
      ...options,
      localAddress: '127.0.0.1',
      previous: a1,
    });
    assert.deepEqual(a2.releasedPorts, [40002]);
  });

  it('refuses a port allocator that returns the wrong number of ports', () => {
    const offer = parseSdp(crlf([...HEAD, ...stream(1000, '1', '0'), ...stream(1002, '2', '0')]));
    assert.throws(
      () => answerFor(offer, { allocatePorts: () => [40000], localAddress: '127.0.0.1' }),
      (e: unknown) => e instanceof PortAllocationError && e.code === 'CV_ERR_SDP_PORT_ALLOCATION',
    );
  });

  it('rejects SRTP without an SRTP answerer and answers SDES with one', () => {
    const offer = parseSdp(
      crlf([
        ...HEAD,
        'm=audio 1000 RTP/SAVP 0',
        'a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR',
        'a=label:1',
        'a=sendonly',
      ]),
    );
    assert.throws(
      () => answerFor(offer, { ...allocator().options, localAddress: '127.0.0.1' }),
      (e: unknown) => e instanceof NoUsableStreamError,
    );
    const ans = answerFor(offer, {
      ...allocator().options,
      localAddress: '::1',
      srtp: {
        suites: ['AES_CM_128_HMAC_SHA1_80'],
        keyParamsFor: () => 'inline:OURKEYOURKEYOURKEYOURKEYOURKEYOURKEYOURKE',
      },
    });
    assert.match(ans.sdp, /^c=IN IP6 ::1$/m);
    assert.match(ans.sdp, /^m=audio 40000 RTP\/SAVP 0$/m);
    assert.match(ans.sdp, /^a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:OURKEY/m);
    assert.equal(
      ans.streams[0]?.crypto?.offered.keyParams,
      'inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR',
    );
  });

  it('a stream the offer disables with port 0 stays disabled', () => {
    const offer = parseSdp(crlf([...HEAD, ...stream(0, '1', '0'), ...stream(1002, '2', '0')]));
    const ans = answerFor(offer, { ...allocator().options, localAddress: '127.0.0.1' });
    assert.deepEqual(
      ans.streams.map((s) => s.port),
      [0, 40000],
    );
    assert.equal(ans.streams[0]?.rejectReason, 'disabled_by_offer');
  });
});
