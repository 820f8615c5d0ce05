/** normalise.ts: phone numbers to E.164. */
import assert from 'node:assert/strict';
import { normaliseNumber } from '../../../agent/src/index/index.js';

describe('index/normalise', () => {
  it('normalises the spellings SIP metadata and people use', () => {
    const cases: [string, string | null][] = [
      ['+46701234567', '+46701234567'],
      ['+46 70-123 45 67', '+46701234567'],
      ['0046701234567', '+46701234567'],
      ['tel:+46-70-123-45-67', '+46701234567'],
      ['tel:+46701234567;phone-context=example.com', '+46701234567'],
      ['sip:+46701234567@sbc.example.net;user=phone', '+46701234567'],
      ['SIPS:0046701234567@host', '+46701234567'],
      ['(070) 123.45.67', '0701234567'],
      ['2001', '2001'],
      ['sip:2001@pbx', '2001'],
      ['anonymous', null],
      ['sip:anonymous@anonymous.invalid', null],
      ['', null],
      ['+', null],
      ['+0701234567', null],
      ['+1234567890123456', null],
      ['12ab34', null],
    ];
    for (const [input, want] of cases) assert.equal(normaliseNumber(input), want, input);
  });

  it('applies a default country code to national numbers only when asked', () => {
    assert.equal(normaliseNumber('070-123 45 67', { defaultCountryCode: '46' }), '+46701234567');
    assert.equal(normaliseNumber('0046701234567', { defaultCountryCode: '46' }), '+46701234567');
    assert.equal(normaliseNumber('2001', { defaultCountryCode: '46' }), '2001');
  });
});
