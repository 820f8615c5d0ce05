/**
 * The one phone-number normaliser. The blind index is an HMAC of the normalised form, so ingest
 * (SIPREC, tap, import, rebuild), search, consent withdrawal and DSAR must agree on it byte for
 * byte. A national number becomes E.164 only with a configured default country
 * (`sip.default_country`): guessing a country would file a customer under someone else's number.
 *
 * Two entry points: `normaliseNumber` for what the network and the vault give (lenient: an
 * unparseable value is null and simply not indexed), `parseSubjectNumber` for what a person types
 * to find a data subject (strict: anything that is not one full number is a coded error, never a
 * silent "0 recordings").
 */
import { UserError } from './errors.js';

/** Country calling codes of the countries the shipped presets and their neighbours use. */
export const COUNTRY_CALLING_CODES: Readonly<Record<string, string>> = {
  SE: '46',
  FI: '358',
  NO: '47',
  DK: '45',
  IS: '354',
  EE: '372',
  DE: '49',
  GB: '44',
};

export interface NormaliseOptions {
  /** ISO 3166 alpha-2 (a key of COUNTRY_CALLING_CODES): national numbers with a trunk 0 become E.164. */
  readonly defaultCountry?: string | null;
}

const E164_MAX_DIGITS = 15;
/** "00" is the international prefix in the seed countries; below this length it is an extension. */
const MIN_INTERNATIONAL_DIGITS = 7;
/** Visual separators people and SBCs put into numbers (E.123 spacing, dashes, dots, brackets, slash). */
const SEPARATORS = /[\s\-.()/]/g;

function callingCode(opts: NormaliseOptions): string | null {
  const c = opts.defaultCountry;
  return c === undefined || c === null ? null : (COUNTRY_CALLING_CODES[c] ?? null);
}

/** `tel:+46…;phone-context=…`, `sip:+46…@host;user=phone` → the number part, separators removed. */
function compact(input: string): string {
  let s = input.trim();
  const scheme = /^(?:tel|sips?):/i.exec(s);
  if (scheme !== null) {
    s = s.slice(scheme[0].length);
    const at = s.indexOf('@');
    if (at >= 0) s = s.slice(0, at);
  }
  const semi = s.indexOf(';');
  if (semi >= 0) s = s.slice(0, semi);
  return s.replace(SEPARATORS, '');
}

function e164(international: string): string | null {
  if (international.length < MIN_INTERNATIONAL_DIGITS || international.length > E164_MAX_DIGITS) return null;
  return international.startsWith('0') ? null : `+${international}`;
}

/**
 * E.164 (`+` and digits) when the number says its country or the default country applies;
 * extensions and national numbers without a default country stay bare digits; null when the
 * input holds no number (empty, `anonymous`, letters, more than 15 digits).
 */
export function normaliseNumber(
  input: string | null | undefined,
  opts: NormaliseOptions = {},
): string | null {
  if (input === null || input === undefined) return null;
  const s = compact(input);
  if (!/^\+?\d+$/.test(s)) return null;
  if (s.startsWith('+')) return e164(s.slice(1));
  if (s.startsWith('00') && s.length - 2 >= MIN_INTERNATIONAL_DIGITS) return e164(s.slice(2));
  const cc = callingCode(opts);
  if (cc !== null && /^0[1-9]/.test(s))
    return e164(cc + s.slice(1)) ?? (s.length <= E164_MAX_DIGITS ? s : null);
  return s.length <= E164_MAX_DIGITS ? s : null;
}

export type NumberProblem = 'empty' | 'not_digits' | 'too_short' | 'too_long';

/** Not a phone number at all (letters, empty, wrong length): exit 1 / HTTP 400. */
export class MalformedNumberError extends UserError {
  readonly problem: NumberProblem;
  constructor(problem: NumberProblem) {
    super('CV_ERR_NUMBER_MALFORMED', `not a phone number (${problem.replace('_', ' ')})`, {
      context: { problem },
    });
    this.problem = problem;
  }
}

/** Digits that could be several numbers (no country, no trunk 0): exit 1 / HTTP 400. */
export class AmbiguousNumberError extends UserError {
  constructor(why: string) {
    super('CV_ERR_NUMBER_AMBIGUOUS', `ambiguous number: ${why}`);
  }
}

/**
 * The E.164 form of a data subject's number as a person types it (`070-123 45 67`,
 * `+46 70 123 45 67`, `0046701234567`, `(070) 123 45 67`). Throws MalformedNumberError or
 * AmbiguousNumberError; never returns a form that would match nobody by construction.
 */
export function parseSubjectNumber(input: string, opts: NormaliseOptions = {}): string {
  const s = compact(input);
  if (s.length === 0) throw new MalformedNumberError('empty');
  if (!/^\+?\d+$/.test(s)) throw new MalformedNumberError('not_digits');
  let international: string;
  if (s.startsWith('+')) international = s.slice(1);
  else if (s.startsWith('00')) international = s.slice(2);
  else if (s.startsWith('0')) {
    const cc = callingCode(opts);
    if (cc === null)
      throw new AmbiguousNumberError('a national number needs sip.default_country or a + country code');
    international = cc + s.slice(1);
  } else throw new AmbiguousNumberError('give the number with its trunk 0 or a + country code');
  if (international.startsWith('0')) throw new MalformedNumberError('not_digits');
  if (international.length < MIN_INTERNATIONAL_DIGITS) throw new MalformedNumberError('too_short');
  if (international.length > E164_MAX_DIGITS) throw new MalformedNumberError('too_long');
  return `+${international}`;
}
