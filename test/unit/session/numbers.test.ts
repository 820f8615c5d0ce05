import assert from 'node:assert/strict';
import { normalisePhoneNumber } from '../../../agent/src/session/index.js';

describe('session/numbers', function () {
  this.timeout(2000);

  it('keeps E.164 and strips visual separators', () => {
    assert.equal(normalisePhoneNumber('+46 8-123 45 67'), '+4681234567');
    assert.equal(normalisePhoneNumber('(+358) 40.123.4567'), '+358401234567');
  });

  it('rewrites the 00 international prefix only for full-length numbers', () => {
    assert.equal(normalisePhoneNumber('0046812345'), '+46812345');
    assert.equal(normalisePhoneNumber('0012'), '0012');
  });

  it('keeps national numbers and extensions as digits, inventing no country code', () => {
    assert.equal(normalisePhoneNumber('0771121212'), '0771121212');
    assert.equal(normalisePhoneNumber('7300'), '7300');
  });

  it('returns null for names, empty strings and overlong digit strings', () => {
    for (const bad of ['alice', '', '+', '+1234567890123456', '1'.repeat(21), null, undefined, '12ab']) {
      assert.equal(normalisePhoneNumber(bad), null, String(bad));
    }
  });
});
