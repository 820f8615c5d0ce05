import assert from 'node:assert/strict';
import { COMPACT_FORMS, normalizeHeaderName } from '../../../agent/src/sip/index.js';

describe('sip headers', function () {
  this.timeout(5000);

  it('normalises compact forms and case', () => {
    assert.equal(normalizeHeaderName('i'), 'call-id');
    assert.equal(normalizeHeaderName('I'), 'call-id');
    assert.equal(normalizeHeaderName('Call-ID'), 'call-id');
    assert.equal(normalizeHeaderName('X-Custom'), 'x-custom');
    assert.equal(normalizeHeaderName('q'), 'q');
  });

  it('knows the compact forms of RFC 3261 and the later registrations', () => {
    const rfc3261 = {
      c: 'content-type',
      e: 'content-encoding',
      f: 'from',
      i: 'call-id',
      k: 'supported',
      l: 'content-length',
      m: 'contact',
      s: 'subject',
      t: 'to',
      v: 'via',
    };
    for (const [short, long] of Object.entries(rfc3261)) assert.equal(COMPACT_FORMS[short], long);
    assert.equal(COMPACT_FORMS['o'], 'event');
    assert.equal(COMPACT_FORMS['x'], 'session-expires');
    assert.equal(COMPACT_FORMS['r'], 'refer-to');
  });
});
