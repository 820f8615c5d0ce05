/**
 * From / To / Contact / Route values: `( name-addr / addr-spec ) *( SEMI param )`.
 * In the addr-spec form, `;…` belongs to the header, not the URI (RFC 3261 §20.10), and a URI
 * containing ',', '?' or ';' must be in angle brackets (RFC 4475 §3.1.2.13).
 */
import { SipParseError } from './errors.js';
import { isTokenCode, isWs, parseParams, readQuoted, skipWs } from './grammar.js';
import type { NameAddr, Uri } from './types.js';
import { parseUri } from './uri.js';

function bad(detail: string, header: string): SipParseError {
  return new SipParseError('bad-name-addr', detail, { header });
}

function uriOf(text: string, header: string): Uri {
  try {
    return parseUri(text);
  } catch {
    throw bad('invalid URI', header);
  }
}

/** Parses one name-addr/addr-spec with parameters. Throws SipParseError 'bad-name-addr'. */
export function parseNameAddr(value: string, header = 'from'): NameAddr {
  const s = value;
  let i = skipWs(s, 0);
  let displayName: string | undefined;
  let angle = false;
  if (s.charCodeAt(i) === 0x22) {
    const q = readQuoted(s, i);
    if (q === undefined) throw bad('unterminated quoted display name', header);
    displayName = q.value;
    i = skipWs(s, q.end);
    if (s.charCodeAt(i) !== 0x3c) throw bad('display name without <URI>', header);
    angle = true;
  } else {
    // display-name = *(token LWS): scan tokens and whitespace; a '<' after them means name-addr.
    let j = i;
    while (j < s.length && (isTokenCode(s.charCodeAt(j)) || isWs(s.charCodeAt(j)))) j++;
    if (s.charCodeAt(j) === 0x3c) {
      const dn = s.slice(i, j).trim();
      if (dn.length > 0) displayName = dn;
      i = j;
      angle = true;
    }
  }
  let uriText: string;
  let paramsStart: number;
  if (angle) {
    const close = s.indexOf('>', i + 1);
    if (close === -1) throw bad('missing >', header);
    uriText = s.slice(i + 1, close);
    paramsStart = close + 1;
  } else {
    const semi = s.indexOf(';', i);
    const end = semi === -1 ? s.length : semi;
    uriText = s.slice(i, end).trimEnd();
    paramsStart = end;
    if (/[,?]/.test(uriText)) throw bad('addr-spec with , or ? must be in <>', header);
  }
  if (uriText.length === 0 || /[\s]/.test(uriText)) throw bad('empty URI or whitespace in URI', header);
  const parsedUri = uriOf(uriText, header);
  const params = parseParams(s, paramsStart);
  if (params === undefined) throw bad('invalid parameters', header);
  const tag = params.get('tag');
  if (tag === null) throw bad('tag without value', header);
  return {
    ...(displayName === undefined ? {} : { displayName }),
    uri: uriText,
    parsedUri,
    params,
    ...(tag === undefined ? {} : { tag }),
  };
}
