/** phone-number.ts: the one normaliser (ingest, search, withdrawal, DSAR, blind index). */
import assert from 'node:assert/strict';
import {
  AmbiguousNumberError,
  MalformedNumberError,
  normaliseNumber,
  parseSubjectNumber,
} from '../../../agent/src/common/index.js';

const SE = { defaultCountry: 'SE' };
const FI = { defaultCountry: 'FI' };

/** What people type as a data subject's number (default country SE): the number, or the problem. */
const SUBJECT_SPELLINGS: [input: string, want: { number: string } | { problem: string }][] = [
  ['070-123 45 67', { number: '+46701234567' }],
  ['070 123 45 67', { number: '+46701234567' }],
  ['(070) 123-45-67', { number: '+46701234567' }],
  ['0701234567', { number: '+46701234567' }],
  ['+46 70 123 45 67', { number: '+46701234567' }],
  ['+46701234567', { number: '+46701234567' }],
  ['0046 70 123 45 67', { number: '+46701234567' }],
  ['08-123 456 78', { number: '+46812345678' }],
  [' tel:+46701234567 ', { number: '+46701234567' }],
  ['+358 40 123 4567', { number: '+358401234567' }],
  ['', { problem: 'empty' }],
  ['   ', { problem: 'empty' }],
  ['070-ABC 45 67', { problem: 'not_digits' }],
  ['alice', { problem: 'not_digits' }],
  ['+46 70 123 45 67 ext 2', { problem: 'not_digits' }],
  ['+0701234567', { problem: 'not_digits' }],
  ['+4670', { problem: 'too_short' }],
  ['0701', { problem: 'too_short' }],
  ['+46 70 123 45 67 89 01 23', { problem: 'too_long' }],
  ['0046701234567890123', { problem: 'too_long' }],
];

describe('common/phone-number', function () {
  this.timeout(2000);

  it('normalises what SIP metadata and the vault hold (lenient)', () => {
    const cases: [string | null | undefined, string | null][] = [
      ['+46701234567', '+46701234567'],
      ['+46 70-123 45 67', '+46701234567'],
      ['(+358) 40.123.4567', '+358401234567'],
      ['0046701234567', '+46701234567'],
      ['0046812345', '+46812345'],
      ['0012', '0012'],
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
      ['1'.repeat(16), null],
      ['12ab34', null],
      [null, null],
      [undefined, null],
    ];
    for (const [input, want] of cases) assert.equal(normaliseNumber(input), want, String(input));
  });

  it('reads national numbers in the default country, at ingest as in search', () => {
    assert.equal(normaliseNumber('070-123 45 67', SE), '+46701234567');
    assert.equal(normaliseNumber('sip:0701234567@sbc', SE), '+46701234567');
    assert.equal(normaliseNumber('0046701234567', SE), '+46701234567');
    assert.equal(normaliseNumber('040 123 4567', FI), '+358401234567');
    assert.equal(normaliseNumber('2001', SE), '2001');
    assert.equal(normaliseNumber('070-123 45 67', { defaultCountry: null }), '0701234567');
  });

  it('parses a data subject number in every spelling people type', () => {
    for (const [input, want] of SUBJECT_SPELLINGS)
      if ('number' in want) assert.equal(parseSubjectNumber(input, SE), want.number, input);
    assert.equal(parseSubjectNumber('040-123 4567', FI), '+358401234567');
  });

  it('refuses what is not one full number, with a code', () => {
    for (const [input, want] of SUBJECT_SPELLINGS) {
      if (!('problem' in want)) continue;
      assert.throws(
        () => parseSubjectNumber(input, SE),
        (err: unknown) =>
          err instanceof MalformedNumberError &&
          err.code === 'CV_ERR_NUMBER_MALFORMED' &&
          err.problem === want.problem,
        input,
      );
    }
  });

  it('refuses ambiguous digits: no trunk 0, or a national number without a default country', () => {
    for (const [input, opts] of [
      ['701234567', SE],
      ['2001', SE],
      ['070-123 45 67', {}],
      ['070-123 45 67', { defaultCountry: null }],
    ] as const) {
      assert.throws(
        () => parseSubjectNumber(input, opts),
        (err: unknown) => err instanceof AmbiguousNumberError && err.code === 'CV_ERR_NUMBER_AMBIGUOUS',
        input,
      );
    }
  });
});
