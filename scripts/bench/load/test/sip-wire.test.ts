import assert from 'node:assert/strict';
import { agentFor, buildAck, buildBye, buildInvite, numberFor, parseResponse } from '../sip-wire.js';
import { LoadBenchError } from '../errors.js';

const local = { host: '127.0.0.1', port: 40001 };
const target = { host: '127.0.0.1', port: 5060 };
const call = { index: 42, callId: 'c42@bench.invalid', fromTag: 'f42' };

function contentLengthMatches(text: string): boolean {
  const [head, body] = [text.slice(0, text.indexOf('\r\n\r\n')), text.slice(text.indexOf('\r\n\r\n') + 4)];
  const m = /Content-Length: (\d+)/.exec(head);
  return m !== null && Number(m[1]) === Buffer.byteLength(body);
}

describe('bench/load sip-wire', function () {
  this.timeout(2000);

  it('builds a SIPREC INVITE: Require siprec, +sip.src, two sendonly labelled streams and metadata naming the call', () => {
    const t = buildInvite(local, target, call, 'z9hG4bKabc');
    assert.match(t, /^INVITE sip:srs@127\.0\.0\.1:5060 SIP\/2\.0\r\n/);
    assert.match(t, /\r\nRequire: siprec\r\n/);
    assert.match(t, /;\+sip\.src\r\n/);
    assert.equal((t.match(/a=sendonly/g) ?? []).length, 2);
    assert.match(t, /a=label:1\r\n[\s\S]*a=label:2\r\n/);
    assert.ok(t.includes(`sip:${agentFor(42)}@`) && t.includes(`sip:${numberFor(42)}@`));
    assert.ok(contentLengthMatches(t));
  });

  it('identities are unique per call and fit E.164 / extension shapes', () => {
    assert.equal(agentFor(7), '7000007');
    assert.equal(numberFor(7), '+46700000007');
    assert.notEqual(agentFor(1), agentFor(2));
  });

  it('ACK and BYE carry the dialog tags and an empty body', () => {
    const ack = buildAck(local, target, call, 'tt', 'z9hG4bKa');
    const bye = buildBye(local, target, call, 'tt', 'z9hG4bKb');
    for (const t of [ack, bye]) {
      assert.match(t, /\r\nFrom: <sip:src@127\.0\.0\.1>;tag=f42\r\n/);
      assert.match(t, /\r\nTo: <sip:srs@127\.0\.0\.1>;tag=tt\r\n/);
      assert.match(t, /\r\nContent-Length: 0\r\n\r\n$/);
    }
    assert.match(ack, /CSeq: 1 ACK/);
    assert.match(bye, /CSeq: 2 BYE/);
    assert.doesNotMatch(buildAck(local, target, call, null, 'z9hG4bKa'), /;tag=tt/);
  });

  it('parses a 200 OK with its to-tag and the answer ports in order', () => {
    const sdp =
      'v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 20000 RTP/AVP 0\r\na=recvonly\r\nm=audio 20002 RTP/AVP 0\r\na=recvonly\r\n';
    const r = parseResponse(
      `SIP/2.0 200 OK\r\nVia: x\r\nTo: <sip:srs@h>;tag=abc123\r\nFrom: <sip:src@h>;tag=f\r\ncall-id: X1\r\nCSeq: 1 INVITE\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`,
    );
    assert.deepEqual(
      {
        status: r.status,
        callId: r.callId,
        cseq: r.cseq,
        method: r.method,
        toTag: r.toTag,
        ports: r.mediaPorts,
        host: r.mediaHost,
      },
      {
        status: 200,
        callId: 'X1',
        cseq: 1,
        method: 'INVITE',
        toTag: 'abc123',
        ports: [20000, 20002],
        host: '127.0.0.1',
      },
    );
  });

  it('parses compact headers and a response without a to-tag', () => {
    const r = parseResponse('SIP/2.0 100 Trying\r\ni: Y\r\nt: <sip:srs@h>\r\nCSeq: 2 BYE\r\n\r\n');
    assert.equal(r.status, 100);
    assert.equal(r.callId, 'Y');
    assert.equal(r.toTag, null);
    assert.deepEqual(r.mediaPorts, []);
  });

  for (const [name, text] of [
    ['a request', 'BYE sip:a@b SIP/2.0\r\nCall-ID: x\r\nCSeq: 2 BYE\r\n\r\n'],
    ['no Call-ID', 'SIP/2.0 200 OK\r\nCSeq: 1 INVITE\r\n\r\n'],
    ['a bad CSeq', 'SIP/2.0 200 OK\r\nCall-ID: x\r\nCSeq: one INVITE\r\n\r\n'],
  ] as const) {
    it(`rejects ${name} with CV_ERR_BENCH_BAD_MESSAGE`, () => {
      assert.throws(
        () => parseResponse(text),
        (e: unknown) => e instanceof LoadBenchError && e.code === 'CV_ERR_BENCH_BAD_MESSAGE',
      );
    });
  }
});
