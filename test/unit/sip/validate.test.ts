import assert from 'node:assert/strict';
import { optionTags, parseMessage, validateRequest, type SipRequest } from '../../../agent/src/sip/index.js';
import { options, sip, BASIC_HEADERS } from './helpers.js';

function req(buf: Buffer): SipRequest {
  const m = parseMessage(buf);
  assert.equal(m.kind, 'request');
  return m as SipRequest;
}

describe('sip validate', function () {
  this.timeout(5000);

  it('passes a well-formed request', () => {
    assert.equal(validateRequest(req(options())), undefined);
  });

  it('maps each problem to its status and a bounded label', () => {
    const cases: [Buffer, number, string][] = [
      [sip(['OPTIONS sip:srs@127.0.0.1 SIP/3.0', ...BASIC_HEADERS]), 505, 'bad-version'],
      [sip(['OPTIONS tel:+4681234 SIP/2.0', ...BASIC_HEADERS]), 416, 'uri-scheme'],
      [sip(['OPTIONS sip:srs@127.0.0.1?Subject=x SIP/2.0', ...BASIC_HEADERS]), 400, 'uri-headers'],
      [sip(['INFO sip:srs@127.0.0.1 SIP/2.0', ...BASIC_HEADERS]), 400, 'cseq-mismatch'],
      [
        sip([
          'OPTIONS sip:srs@127.0.0.1 SIP/2.0',
          ...BASIC_HEADERS.filter((h) => !h.startsWith('Max')),
          'Max-Forwards: 256',
        ]),
        400,
        'max-forwards',
      ],
      [options(['Date: Fri, 01 Jan 2010 16:00:00 EST']), 400, 'bad-date'],
      [options(['Contact: sip:a@b?x=y']), 400, 'bad-contact'],
      [options(['Require: siprec, 100rel']), 420, 'bad-extension'],
    ];
    for (const [buf, status, label] of cases) {
      const p = validateRequest(req(buf));
      assert.equal(p?.status, status, label);
      assert.equal(p?.problem, label);
    }
  });

  it('lists unsupported option tags and honours the supported set', () => {
    const r = req(options(['Require: siprec, 100rel']));
    assert.deepEqual(validateRequest(r)?.headers, [['Unsupported', 'siprec, 100rel']]);
    assert.deepEqual(validateRequest(r, { supported: ['siprec'] })?.headers, [['Unsupported', '100rel']]);
    assert.equal(validateRequest(r, { supported: ['SIPREC', '100rel'] }), undefined);
  });

  it('checks the body media type only when asked, and accepts a valid Date and Contact *', () => {
    const r = req(
      options(['Content-Type: application/unknownformat', 'Date: Sat, 15 Oct 2005 04:44:56 GMT'], 'xyz'),
    );
    assert.equal(validateRequest(r), undefined);
    const p = validateRequest(r, { acceptedContentTypes: ['application/sdp', 'multipart/mixed'] });
    assert.equal(p?.status, 415);
    assert.deepEqual(p?.headers, [['Accept', 'application/sdp, multipart/mixed']]);
    const reg = sip([
      'REGISTER sip:127.0.0.1 SIP/2.0',
      ...BASIC_HEADERS.map((h) => h.replace('1 OPTIONS', '1 REGISTER')),
      'Contact: *',
      'Expires: 0',
    ]);
    assert.equal(validateRequest(req(reg)), undefined);
    assert.deepEqual(optionTags('timer, ,replaces'), ['timer', 'replaces']);
  });
});
