/**
 * Phone-number normalisation shared by both ingest paths and the service map. We never invent a
 * country code: a national number stays national, because guessing wrongly would file a
 * customer's recording under someone else's number (DSAR and consent withdrawal search by it).
 */

/** Visual separators people and SBCs put into numbers (ITU-T E.123 spacing, dashes, dots, brackets). */
const VISUAL_SEPARATORS = /[\s\-.()]/g;
const MAX_E164_DIGITS = 15;
/** Extensions and national numbers; longer strings of digits are ids, not numbers. */
const MAX_DIGITS = 20;
/** "00" is the international prefix in the seed countries; below this length it is an extension. */
const MIN_INTERNATIONAL_DIGITS = 7;

/**
 * '+46 8-123 45 67' → '+4681234567'; '0046812345' → '+46812345'; '7300' → '7300';
 * 'alice', '' or anything with letters → null.
 */
export function normalisePhoneNumber(text: string | null | undefined): string | null {
  if (text === null || text === undefined) return null;
  const compact = text.trim().replace(VISUAL_SEPARATORS, '');
  if (compact.startsWith('+')) {
    const digits = compact.slice(1);
    return /^\d+$/.test(digits) && digits.length <= MAX_E164_DIGITS ? `+${digits}` : null;
  }
  if (!/^\d+$/.test(compact) || compact.length > MAX_DIGITS) return null;
  if (
    compact.startsWith('00') &&
    compact.length - 2 >= MIN_INTERNATIONAL_DIGITS &&
    compact.length - 2 <= MAX_E164_DIGITS
  ) {
    return `+${compact.slice(2)}`;
  }
  return compact;
}
