/**
 * Phone-number normalisation. The blind index is an HMAC of the normalised form, so every path
 * that writes or searches a number must agree on it byte for byte: this is the one place.
 */

const E164_MAX_DIGITS = 15;

export interface NormaliseOptions {
  /** Country calling code (digits, e.g. '46') applied to national numbers with one leading 0. */
  readonly defaultCountryCode?: string;
}

/**
 * Returns the E.164 form (`+` and digits) of a phone number written as `+46 70-123 45 67`,
 * `0046701234567`, `tel:+46701234567;phone-context=…` or `sip:+46701234567@host;user=phone`.
 * Numbers without an international prefix (extensions, national numbers when no
 * defaultCountryCode is given) come back as bare digits. Returns null when the input holds
 * no number (empty, `anonymous`, letters, more than 15 digits).
 */
export function normaliseNumber(input: string, opts: NormaliseOptions = {}): string | null {
  let s = input.trim();
  const scheme = /^(?:tel|sips?):/i.exec(s);
  if (scheme !== null) {
    s = s.slice(scheme[0].length);
    const at = s.indexOf('@');
    if (at >= 0) s = s.slice(0, at);
  }
  const semi = s.indexOf(';');
  if (semi >= 0) s = s.slice(0, semi);
  s = s.replace(/[\s\-.()/]/g, '');
  if (!/^\+?\d+$/.test(s)) return null;

  let international: string | null = null;
  if (s.startsWith('+')) international = s.slice(1);
  else if (s.startsWith('00')) international = s.slice(2);
  else if (opts.defaultCountryCode !== undefined && /^0[1-9]/.test(s)) {
    international = opts.defaultCountryCode + s.slice(1);
  }

  if (international === null) return s.length <= E164_MAX_DIGITS ? s : null;
  if (international.length < 2 || international.length > E164_MAX_DIGITS || international.startsWith('0')) {
    return null;
  }
  return `+${international}`;
}
