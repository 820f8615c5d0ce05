import assert from 'node:assert/strict';
import {
  SipBuildError,
  getHeader,
  makeResponse,
  newTag,
  parseMessage,
  responseFor,
  serializeMessage,
  type SipRequest,
} from '../../../agent/src/sip/index.js';
import { options, sip } from './helpers.js';

function req(buf: Buffer): SipRequest {
  const m = parseMessage(buf);
  assert.equal(m.kind, 'request');
  return m as SipRequest;
}

describe('sip response', function () {
  this.timeout(5000);

  it('copies Via, From, To, Call-ID and CSeq and adds a To tag', () => {
    const r = req(
      sip([
        'INVITE sip:srs@127.0.0.1 SIP/2.0',
        'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-a',
        'v: SIP/2.0/UDP 127.0.0.2;branch=z9hG4bK-b',
        'From: <sip:a@127.0.0.1>;tag=f',
        'To: sip:srs@127.0.0.1',
        'Call-ID: c',
        'CSeq: 5 INVITE',
        'Subject: not copied',
        'Content-Length: 0',
      ]),
    );
    const res = makeResponse(r, 200, 'OK', {
      toTag: 'srs1',
      headers: [['Contact', '<sip:srs@127.0.0.1>']],
      body: Buffer.from('v=0\r\n'),
    });
    assert.deepEqual(
      res.via.map((v) => v.branch),
      ['z9hG4bK-a', 'z9hG4bK-b'],
    );
    assert.equal(res.to.tag, 'srs1');
    assert.equal(res.from.tag, 'f');
    assert.equal(res.callId, 'c');
    assert.deepEqual(res.cseq, { seq: 5, method: 'INVITE' });
    assert.equal(getHeader(res, 'subject'), undefined);
    assert.equal(res.contentLength, 5);
    const wire = parseMessage(serializeMessage(res));
    assert.equal(wire.kind === 'response' && wire.status, 200);
    assert.equal(wire.to.tag, 'srs1');
    assert.equal(wire.body.toString(), 'v=0\r\n');
  });

  it('leaves an existing To tag alone and adds none to 100 Trying', () => {
    const r = req(options());
    assert.equal(makeResponse(r, 100, 'Trying').to.tag, undefined);
    const tagged = makeResponse(r, 486, 'Busy Here');
    assert.match(tagged.to.tag ?? '', /^[0-9a-f]{16}$/);
    const inDialog = req(
      Buffer.from(options().toString().replace('To: <sip:srs@127.0.0.1>', 'To: <sip:srs@127.0.0.1>;tag=t9')),
    );
    assert.equal(makeResponse(inDialog, 200, 'OK').to.tag, 't9');
    assert.notEqual(newTag(), newTag());
  });

  it('refuses to build an invalid response', () => {
    const r = req(options());
    const isBuild = (e: unknown): boolean => e instanceof SipBuildError && e.code === 'CV_ERR_SIP_BUILD';
    assert.throws(() => makeResponse(r, 99, 'x'), isBuild);
    assert.throws(() => makeResponse(r, 200, 'OK\r\nX: injected'), isBuild);
    assert.throws(() => makeResponse(r, 200, 'OK', { headers: [['Bad Name', 'x']] }), isBuild);
    assert.throws(() => makeResponse(r, 200, 'OK', { headers: [['X-A', 'a\r\nInjected: 1']] }), isBuild);
  });

  it('responseFor answers invalid requests and nothing else', () => {
    assert.equal(responseFor(req(options())), undefined);
    const res = responseFor(req(options(['Require: foo'])));
    assert.equal(res?.status, 420);
    assert.equal(res && getHeader(res, 'unsupported'), 'foo');
  });
});
