/**
 * The password rule for users (ASVS 2.1 / NIST 800-63B): long enough, not a commonly tried
 * password, not built from the user name, not one repeated character or pattern. No composition
 * rules: they push people to "Password1!" and add nothing against guessing.
 */
import { COMMON_PASSWORDS } from './common-passwords.js';
import { IndexWeakPasswordError } from './errors.js';

export const MIN_PASSWORD_CHARS = 10;
/** scrypt takes any length; a bound keeps one login from being a large allocation. */
export const MAX_PASSWORD_CHARS = 1024;
const MIN_DISTINCT_CHARS = 4;

/** Why the password is refused, or null when it may be used. */
export function passwordProblem(password: string, username: string): string | null {
  const chars = [...password.normalize('NFC')];
  if (chars.length < MIN_PASSWORD_CHARS) return `shorter than ${MIN_PASSWORD_CHARS} characters`;
  if (chars.length > MAX_PASSWORD_CHARS) return `longer than ${MAX_PASSWORD_CHARS} characters`;
  if (password.trim().length === 0 || /^[\p{White_Space}\p{Cc}\p{Cf}]*$/u.test(password))
    return 'only spaces';
  const lower = password.normalize('NFC').toLowerCase();
  if (new Set(chars.map((c) => c.toLowerCase())).size < MIN_DISTINCT_CHARS)
    return 'too few different characters';
  // "abcabcabc", "1212121212": a short unit repeated.
  if (/^(.{1,4})\1+.{0,3}$/su.test(lower)) return 'a repeated pattern';
  const base = lower.replace(/[\p{N}\p{P}\p{S}\s]+$/u, '');
  if (COMMON_PASSWORDS.has(lower) || COMMON_PASSWORDS.has(base)) return 'a commonly used password';
  // The user name may appear, but what is left without it must still be long enough on its own.
  const name = username.toLowerCase();
  if (name.length > 0 && [...lower.replaceAll(name, '')].length < MIN_PASSWORD_CHARS)
    return 'mostly the user name';
  return null;
}

export function assertPasswordAllowed(password: string, username: string): void {
  const problem = passwordProblem(password, username);
  if (problem !== null) throw new IndexWeakPasswordError(problem);
}
