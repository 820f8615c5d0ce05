/**
 * RFC 3261 §25 lexical pieces shared by the header parsers. Inputs are unfolded header values
 * (no CR/LF left), so LWS is just SP/HTAB here. Failures return undefined and the caller throws
 * with its own parse reason.
 */

function table(chars: string, ranges: readonly [number, number][] = []): Uint8Array {
  const t = new Uint8Array(128);
  for (const [lo, hi] of ranges) for (let c = lo; c <= hi; c++) t[c] = 1;
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  return t;
}

const ALNUM: readonly [number, number][] = [
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x61, 0x7a],
];

/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
export const TOKEN = table("-.!%*_+`'~", ALNUM);
/** gen-value = token / host / quoted-string: host adds the IPv6 reference characters. */
const GEN_VALUE = table("-.!%*_+`'~[]:", ALNUM);

export function isTokenCode(c: number): boolean {
  return c < 128 && TOKEN[c] === 1;
}

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTokenCode(s.charCodeAt(i))) return false;
  return true;
}

export function isWs(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

export function skipWs(s: string, i: number): number {
  while (i < s.length && isWs(s.charCodeAt(i))) i++;
  return i;
}

/** Index just past a token starting at i (i itself when there is none). */
export function scanToken(s: string, i: number): number {
  while (i < s.length && isTokenCode(s.charCodeAt(i))) i++;
  return i;
}

/**
 * quoted-string starting at s[i] === '"'. Returns the unescaped content and the index after the
 * closing quote, or undefined when unterminated. quoted-pair may escape any octet but CR/LF.
 */
export function readQuoted(s: string, i: number): { value: string; end: number } | undefined {
  let out = '';
  let j = i + 1;
  let runStart = j;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (c === 0x22) return { value: out + s.slice(runStart, j), end: j + 1 };
    if (c === 0x5c) {
      if (j + 1 >= s.length) return undefined;
      out += s.slice(runStart, j) + s[j + 1];
      j += 2;
      runStart = j;
      continue;
    }
    j++;
  }
  return undefined;
}

/**
 * `*( SWS ";" SWS name [ SWS "=" SWS gen-value ] )` from i to the end of s. Names are
 * lower-cased; the first occurrence of a name wins. undefined on any syntax error (an empty
 * parameter such as ";;" is one).
 */
export function parseParams(s: string, i: number): Map<string, string | null> | undefined {
  const params = new Map<string, string | null>();
  for (;;) {
    i = skipWs(s, i);
    if (i >= s.length) return params;
    if (s.charCodeAt(i) !== 0x3b) return undefined;
    i = skipWs(s, i + 1);
    const nameEnd = scanToken(s, i);
    if (nameEnd === i) return undefined;
    const name = s.slice(i, nameEnd).toLowerCase();
    i = skipWs(s, nameEnd);
    let value: string | null = null;
    if (i < s.length && s.charCodeAt(i) === 0x3d) {
      i = skipWs(s, i + 1);
      if (i < s.length && s.charCodeAt(i) === 0x22) {
        const q = readQuoted(s, i);
        if (q === undefined) return undefined;
        value = s.slice(i, q.end);
        i = q.end;
      } else {
        const start = i;
        while (i < s.length && s.charCodeAt(i) < 128 && GEN_VALUE[s.charCodeAt(i)] === 1) i++;
        if (i === start) return undefined;
        value = s.slice(start, i);
      }
    }
    if (!params.has(name)) params.set(name, value);
  }
}

/**
 * Splits a comma-separated header value, ignoring commas inside quoted strings and <…>.
 * Parts are trimmed; empty parts are kept so callers can reject them.
 */
export function splitList(s: string): string[] {
  if (s.indexOf(',') === -1) return [s.trim()];
  const parts: string[] = [];
  let start = 0;
  let inQuote = false;
  let inAngle = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (inQuote) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inQuote = false;
    } else if (c === 0x22) inQuote = true;
    else if (c === 0x3c) inAngle = true;
    else if (c === 0x3e) inAngle = false;
    else if (c === 0x2c && !inAngle) {
      parts.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(s.slice(start).trim());
  return parts;
}

/** Strict unsigned decimal (leading zeros allowed) up to `max`; undefined otherwise. */
export function parseDecimal(s: string, max: number): number | undefined {
  if (s.length === 0 || s.length > 20) return undefined;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
    n = n * 10 + (c - 0x30);
  }
  return n <= max ? n : undefined;
}
