/**
 * A small multipart/mixed splitter (RFC 2046 §5.1) for SIPREC offers: SDP + rs-metadata (+ any
 * extra part such as Cisco's application/gtd). Until sip/ exports parseMultipart this is the
 * SRS's splitter (we will dedupe then). It tolerates what SBCs send: a preamble, LF-only line
 * ends, a missing close delimiter, parts without headers.
 */
import { MultipartError } from './errors.js';

export interface MultipartPart {
  /** Lower-case header names; values trimmed. */
  readonly headers: ReadonlyMap<string, string>;
  /** Lower-case media type without parameters; 'text/plain' when the part has none (RFC 2046). */
  readonly contentType: string;
  /** Lower-case disposition type ('session', 'recording-session'), null when absent. */
  readonly disposition: string | null;
  readonly body: Buffer;
}

/** A recording offer has two or three parts; far more is hostile or broken. */
const MAX_PARTS = 16;

/** Reads a parameter (`boundary`, `charset`) of a Content-Type value; quoted or token. */
export function contentTypeParam(contentType: string, name: string): string | null {
  const re = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i');
  const m = re.exec(contentType);
  return m === null ? null : (m[1] ?? m[2] ?? null);
}

export function mediaType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

export function splitMultipart(contentType: string, body: Buffer | string): MultipartPart[] {
  const boundary = contentTypeParam(contentType, 'boundary');
  if (boundary === null || boundary === '' || boundary.length > 70) {
    throw new MultipartError(
      'CV_ERR_MULTIPART_NO_BOUNDARY',
      'multipart body without a usable boundary parameter',
    );
  }
  // latin1 maps bytes 1:1 to code units, so offsets found here are byte offsets into the body.
  const text =
    typeof body === 'string' ? Buffer.from(body, 'utf8').toString('latin1') : body.toString('latin1');
  const delimiter = `--${boundary}`;
  let pos = findDelimiter(text, delimiter, 0);
  if (pos < 0)
    throw new MultipartError('CV_ERR_MULTIPART_MALFORMED', 'multipart body contains no boundary delimiter');

  const parts: MultipartPart[] = [];
  for (;;) {
    let cursor = pos + delimiter.length;
    if (text.startsWith('--', cursor)) break;
    const eol = text.indexOf('\n', cursor);
    if (eol < 0) break;
    cursor = eol + 1;
    const next = findDelimiter(text, delimiter, cursor);
    const end = next < 0 ? text.length : next;
    if (parts.length === MAX_PARTS)
      throw new MultipartError('CV_ERR_MULTIPART_MALFORMED', `more than ${MAX_PARTS} body parts`);
    parts.push(parsePart(stripDelimiterNewline(text.slice(cursor, end), next < 0)));
    if (next < 0) break;
    pos = next;
  }
  if (parts.length === 0)
    throw new MultipartError('CV_ERR_MULTIPART_MALFORMED', 'multipart body has no parts');
  return parts;
}

/** A delimiter counts only at the very start or right after a line break. */
function findDelimiter(text: string, delimiter: string, from: number): number {
  if (from === 0 && text.startsWith(delimiter)) return 0;
  let i = text.indexOf(`\n${delimiter}`, Math.max(0, from - 1));
  while (i >= 0) {
    const after = text.charAt(i + 1 + delimiter.length);
    if (after === '' || after === '-' || after === '\r' || after === '\n' || after === ' ' || after === '\t')
      return i + 1;
    i = text.indexOf(`\n${delimiter}`, i + 1);
  }
  return -1;
}

/** The line break before a delimiter belongs to the delimiter; an unterminated last part loses trailing breaks. */
function stripDelimiterNewline(raw: string, last: boolean): string {
  if (last) return raw.replace(/(\r?\n)+$/, '');
  if (raw.endsWith('\r\n')) return raw.slice(0, -2);
  if (raw.endsWith('\n')) return raw.slice(0, -1);
  return raw;
}

function parsePart(raw: string): MultipartPart {
  const headers = new Map<string, string>();
  let bodyStart: number;
  if (!(raw.startsWith('\r\n') || raw.startsWith('\n'))) {
    const blank = /\r?\n\r?\n/.exec(raw);
    const headerText = blank === null ? raw : raw.slice(0, blank.index);
    bodyStart = blank === null ? raw.length : blank.index + blank[0].length;
    let lastName: string | null = null;
    for (const line of headerText.split(/\r?\n/)) {
      if (/^[ \t]/.test(line) && lastName !== null) {
        headers.set(lastName, `${headers.get(lastName) ?? ''} ${line.trim()}`);
        continue;
      }
      const colon = line.indexOf(':');
      if (colon <= 0)
        throw new MultipartError('CV_ERR_MULTIPART_MALFORMED', 'body part header line without a colon');
      lastName = line.slice(0, colon).trim().toLowerCase();
      headers.set(lastName, line.slice(colon + 1).trim());
    }
  } else {
    bodyStart = raw.startsWith('\r\n') ? 2 : 1;
  }
  const contentType = headers.get('content-type');
  const disposition = headers.get('content-disposition');
  return {
    headers,
    contentType: contentType === undefined ? 'text/plain' : mediaType(contentType),
    disposition: disposition === undefined ? null : mediaType(disposition),
    body: Buffer.from(raw.slice(bodyStart), 'latin1'),
  };
}

export interface OfferBodies {
  readonly sdp: string | null;
  readonly metadata: string | null;
  /** As the part declared it: 'application/rs-metadata+xml', legacy 'application/rs-metadata', or other. */
  readonly metadataContentType: string | null;
  /** Parts that are neither SDP nor metadata (ignored, but counted for the log). */
  readonly extraParts: number;
}

const METADATA_TYPES: ReadonlySet<string> = new Set([
  'application/rs-metadata+xml',
  'application/rs-metadata',
]);

/**
 * Finds the SDP and the rs-metadata in an INVITE/UPDATE body of any shape: multipart, bare SDP
 * (plain INVITE, or SIPREC without metadata), or bare metadata (a metadata-only update). A part
 * with `Content-Disposition: recording-session` is metadata whatever its declared type.
 */
export function extractOfferBodies(
  contentType: string | null | undefined,
  body: Buffer | string,
): OfferBodies {
  const type = contentType === null || contentType === undefined ? '' : mediaType(contentType);
  const asText = (b: Buffer | string): string => (typeof b === 'string' ? b : b.toString('utf8'));
  if (type.startsWith('multipart/')) {
    let sdp: string | null = null;
    let metadata: string | null = null;
    let metadataContentType: string | null = null;
    let extraParts = 0;
    for (const part of splitMultipart(contentType ?? '', body)) {
      if (sdp === null && part.contentType === 'application/sdp') sdp = asText(part.body);
      else if (
        metadata === null &&
        (METADATA_TYPES.has(part.contentType) || part.disposition === 'recording-session')
      ) {
        metadata = asText(part.body);
        metadataContentType = part.contentType;
      } else extraParts++;
    }
    return { sdp, metadata, metadataContentType, extraParts };
  }
  const text = asText(body);
  if (type === 'application/sdp')
    return { sdp: text, metadata: null, metadataContentType: null, extraParts: 0 };
  if (METADATA_TYPES.has(type))
    return { sdp: null, metadata: text, metadataContentType: type, extraParts: 0 };
  return { sdp: null, metadata: null, metadataContentType: null, extraParts: text.length > 0 ? 1 : 0 };
}
