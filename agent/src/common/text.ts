/**
 * Text from people (reasons, user names) checked on the way in and made inert on the way out.
 * Both are pure and shared by the CLI and the control handlers.
 */

/**
 * Characters that show nothing: white space of every script (U+00A0, U+2000-U+200A, U+3000 …),
 * controls, format characters (zero-width space and joiners, bidi marks, U+FEFF), combining marks
 * on their own, and the blank letters people use to fake content (Hangul fillers, braille blank).
 */
const INVISIBLE = /[\p{White_Space}\p{Cc}\p{Cf}\p{M}\p{Zl}\p{Zp}\u115F\u1160\u2800\u3164\uFFA0]/u;

/** The number of code points in `text` that a reader can see. */
export function visibleLength(text: string): number {
  let n = 0;
  for (const ch of text) if (!INVISIBLE.test(ch)) n++;
  return n;
}

/**
 * What a terminal would act on rather than show: C0 and C1 controls and DEL (newline, carriage
 * return and ESC forge rows or repaint the screen), line and paragraph separators, and bidi
 * overrides and isolates (they reorder the rest of the line). The backslash is escaped too, so
 * an escape in the output always means an escaped character, never text someone typed.
 */
// eslint-disable-next-line no-control-regex -- control characters are what this looks for
const UNSAFE = /[\\\u0000-\u001F\u007F-\u009F\u2028\u2029\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu;

/** `text` with every unsafe character as `\xNN` (or `\u{NNNN}` above U+00FF) and `\` as `\\`. */
export function escapeControl(text: string): string {
  return text.replace(UNSAFE, (ch) => {
    if (ch === '\\') return '\\\\';
    const cp = ch.codePointAt(0)!;
    return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u{${cp.toString(16)}}`;
  });
}

/**
 * JSON for a terminal or a script: JSON.stringify escapes U+0000-U+001F already; this also
 * escapes DEL, the C1 controls, the separators and the bidi controls as \uNNNN. They can only
 * occur inside strings, so the result parses to the same value.
 */
export function safeJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, null, indent).replace(
    /[\u007F-\u009F\u2028\u2029\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu,
    (ch) => `\\u${ch.codePointAt(0)!.toString(16).padStart(4, '0')}`,
  );
}
