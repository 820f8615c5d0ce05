/**
 * Who a SIP address is: name, number, withheld. Used for participants built from From/To/P-Asserted-
 * Identity (plain INVITE, SIPREC without metadata) and for metadata AoRs. Presentation restriction
 * wins over everything: a withheld caller is stored without number, name or AoR (seed 001: the
 * customer's number is stored "unless it is secret").
 */
import { normaliseNumber } from '../common/index.js';
import type { Participant } from '../session/index.js';

export interface NameAddr {
  readonly displayName: string | null;
  /** The URI without angle brackets and without header parameters. */
  readonly uri: string;
}

/** User parts and display names that mean "no identity" across PBXs and carriers. */
const ANONYMOUS: ReadonlySet<string> = new Set([
  'anonymous',
  'anonymous caller',
  'withheld',
  'restricted',
  'private',
  'private number',
  'unavailable',
  'unknown',
  'unknown caller',
  'nocallerid',
  'no caller id',
  'blocked',
  'presentation restricted',
]);

/** Privacy values (RFC 3323, RFC 3325) that hide the caller's identity. */
const HIDING_PRIVACY: ReadonlySet<string> = new Set(['id', 'user', 'header']);

/**
 * Parses one or more comma-separated name-addr / addr-spec values (P-Asserted-Identity may carry a
 * sip: and a tel: identity). Commas inside quotes or angle brackets do not split.
 */
export function parseNameAddrs(value: string | null | undefined): NameAddr[] {
  if (value === null || value === undefined) return [];
  const out: NameAddr[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i <= value.length; i++) {
    const ch = value[i];
    if (ch === '"' && value[i - 1] !== '\\') quoted = !quoted;
    else if (!quoted && ch === '<') depth++;
    else if (!quoted && ch === '>') depth = Math.max(0, depth - 1);
    if (i === value.length || (ch === ',' && !quoted && depth === 0)) {
      const one = parseOne(value.slice(start, i));
      if (one !== null) out.push(one);
      start = i + 1;
    }
  }
  return out;
}

function parseOne(text: string): NameAddr | null {
  const t = text.trim();
  if (t === '') return null;
  const lt = t.indexOf('<');
  if (lt >= 0) {
    const gt = t.indexOf('>', lt);
    if (gt < 0) return null;
    const display = t
      .slice(0, lt)
      .trim()
      .replace(/^"(.*)"$/s, '$1')
      .replace(/\\(.)/g, '$1')
      .trim();
    return { displayName: display === '' ? null : display, uri: t.slice(lt + 1, gt).trim() };
  }
  return { displayName: null, uri: (t.split(';')[0] ?? '').trim() };
}

/** 'sip:+4681234%20@host;user=phone' → '+4681234 '; 'tel:+4681234;ext=1' → '+4681234'; no user → null. */
export function uriUser(uri: string | null | undefined): string | null {
  if (uri === null || uri === undefined) return null;
  const schemeMatch = /^([a-z][a-z0-9+.-]*):/i.exec(uri);
  const scheme = schemeMatch?.[1]?.toLowerCase() ?? null;
  const rest = schemeMatch === null ? uri : uri.slice(schemeMatch[0].length);
  let user: string;
  if (scheme === 'tel') user = rest;
  else {
    const at = rest.lastIndexOf('@');
    if (at < 0) return null;
    user = rest.slice(0, at);
  }
  user = (user.split(';')[0] ?? '').split(':')[0] ?? '';
  try {
    user = decodeURIComponent(user);
  } catch {
    // A stray '%' in a user part is data, not an escape.
  }
  return user === '' ? null : user;
}

function uriHost(uri: string): string {
  const at = uri.lastIndexOf('@');
  return (at < 0 ? '' : uri.slice(at + 1)).split(/[;:>]/)[0]?.toLowerCase() ?? '';
}

export function isAnonymousText(text: string | null | undefined): boolean {
  return text !== null && text !== undefined && ANONYMOUS.has(text.trim().toLowerCase());
}

/** True for sip:anonymous@anonymous.invalid (RFC 3323), 'Restricted' user parts and the like. */
export function isAnonymousUri(uri: string | null | undefined): boolean {
  if (uri === null || uri === undefined) return false;
  return isAnonymousText(uriUser(uri)) || uriHost(uri) === 'anonymous.invalid';
}

export function privacyHidesIdentity(privacy: string | null | undefined): boolean {
  if (privacy === null || privacy === undefined) return false;
  return privacy.split(/[;,]/).some((v) => HIDING_PRIVACY.has(v.trim().toLowerCase()));
}

/** A display name that only repeats the number is not a name. */
export function meaningfulName(name: string | null | undefined, number: string | null): string | null {
  const t = name?.trim() ?? '';
  if (t === '' || isAnonymousText(t)) return null;
  if (number !== null && normaliseNumber(t) === number) return null;
  return t;
}

export type Identity = Pick<Participant, 'name' | 'number' | 'aor' | 'withheld'>;

export const WITHHELD_IDENTITY: Identity = Object.freeze({
  name: null,
  number: null,
  aor: null,
  withheld: true,
});

/** An identity from a URI and display name; withheld when told so or when the URI/name is anonymous. */
export function identityOf(uri: string | null, displayName: string | null, withheld: boolean): Identity {
  if (withheld || isAnonymousUri(uri) || isAnonymousText(displayName)) return WITHHELD_IDENTITY;
  const number = normaliseNumber(uriUser(uri));
  return {
    name: meaningfulName(displayName, number),
    number,
    aor: uri === null || uri === '' ? null : uri,
    withheld: false,
  };
}

/**
 * Caller and callee of a call known only from its SIP headers. The caller's number comes from
 * P-Asserted-Identity when present (the network vouches for it), its name from From; Privacy
 * id/user/header or an anonymous From withholds it. Ids are 'caller' and 'callee'.
 */
export function participantsFromHeaders(
  from: string | null | undefined,
  to: string | null | undefined,
  pAssertedIdentity?: string | null,
  privacy?: string | null,
): Participant[] {
  const fromAddr = parseNameAddrs(from)[0] ?? null;
  const toAddr = parseNameAddrs(to)[0] ?? null;
  const asserted = parseNameAddrs(pAssertedIdentity);
  const assertedNumber =
    asserted.find((a) => normaliseNumber(uriUser(a.uri)) !== null) ?? asserted[0] ?? null;
  const withheld =
    privacyHidesIdentity(privacy) || isAnonymousUri(fromAddr?.uri) || isAnonymousText(fromAddr?.displayName);
  const callerUri = assertedNumber?.uri ?? fromAddr?.uri ?? null;
  const caller = identityOf(
    callerUri,
    fromAddr?.displayName ?? assertedNumber?.displayName ?? null,
    withheld,
  );
  const callee = identityOf(toAddr?.uri ?? null, toAddr?.displayName ?? null, false);
  return [
    { id: 'caller', ...caller, side: 'unknown', role: 'caller' },
    { id: 'callee', ...callee, side: 'unknown', role: 'callee' },
  ];
}
