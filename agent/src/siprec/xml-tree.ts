/**
 * Reads untrusted XML (rs-metadata from the network) into a small element tree, refusing what
 * makes XML dangerous before any parser sees it: bodies over the size limit, DTDs and entity
 * declarations (billion laughs, external entities). fast-xml-parser runs with entity
 * processing off; the five predefined entities and character references are decoded here, by a
 * function that cannot expand anything.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { MetadataError } from './errors.js';

export interface XmlElement {
  /** Local name, lower-cased: vendors write dataMode/datamode, nameID/nameid. */
  readonly name: string;
  readonly prefix: string | null;
  /** Local attribute names, lower-cased; namespace declarations are kept under 'xmlns'/'xmlns:p'. */
  readonly attrs: Readonly<Record<string, string>>;
  /** Direct text content, entity-decoded, whitespace collapsed. */
  readonly text: string;
  readonly children: readonly XmlElement[];
}

/** Far above any real recording metadata (a few KB), far below what could hurt. */
export const METADATA_MAX_BYTES = 64 * 1024;
const MAX_DEPTH = 32;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  removeNSPrefix: false,
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  maxNestedTags: MAX_DEPTH,
});

export function parseXmlTree(input: string | Buffer, maxBytes = METADATA_MAX_BYTES): XmlElement {
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.length;
  if (size > maxBytes) {
    throw new MetadataError('CV_ERR_METADATA_TOO_LARGE', `metadata is ${size} bytes, limit ${maxBytes}`, {
      context: { size, maxBytes },
    });
  }
  const xml = typeof input === 'string' ? input : input.toString('utf8');
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) {
    throw new MetadataError('CV_ERR_METADATA_DTD_FORBIDDEN', 'metadata carries a DTD or entity declaration');
  }
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw new MetadataError(
      'CV_ERR_METADATA_MALFORMED',
      `metadata is not well-formed XML: ${valid.err.code}`,
      {
        context: { line: valid.err.line, column: valid.err.col, reason: valid.err.code },
      },
    );
  }
  let nodes: unknown;
  try {
    nodes = parser.parse(xml);
  } catch (cause) {
    throw new MetadataError('CV_ERR_METADATA_MALFORMED', 'metadata could not be parsed', { cause });
  }
  const roots = Array.isArray(nodes) ? nodes.flatMap((n) => toElement(n, 0)) : [];
  const root = roots[0];
  if (root === undefined || roots.length !== 1)
    throw new MetadataError('CV_ERR_METADATA_MALFORMED', 'metadata must have exactly one root element');
  return root;
}

/** One preserveOrder node ({ tag: [children], ':@': attrs } or { '#text': … }) → elements. */
function toElement(node: unknown, depth: number): XmlElement[] {
  if (depth > MAX_DEPTH)
    throw new MetadataError('CV_ERR_METADATA_MALFORMED', `metadata nests deeper than ${MAX_DEPTH}`);
  if (typeof node !== 'object' || node === null) return [];
  const entries = Object.entries(node as Record<string, unknown>);
  const tag = entries.find(([k]) => k !== ':@' && k !== '#text');
  if (tag === undefined) return [];
  const [qname, rawChildren] = tag;
  const colon = qname.indexOf(':');
  const attrs: Record<string, string> = {};
  const rawAttrs = (node as Record<string, unknown>)[':@'];
  if (typeof rawAttrs === 'object' && rawAttrs !== null) {
    for (const [k, v] of Object.entries(rawAttrs as Record<string, unknown>)) {
      const local = k.startsWith('xmlns') ? k : k.slice(k.indexOf(':') + 1);
      attrs[local.toLowerCase()] = decodeXmlText(String(v));
    }
  }
  const children: XmlElement[] = [];
  let text = '';
  for (const child of Array.isArray(rawChildren) ? rawChildren : []) {
    if (typeof child === 'object' && child !== null && '#text' in child)
      text += String((child as Record<string, unknown>)['#text']);
    else children.push(...toElement(child, depth + 1));
  }
  return [
    {
      name: qname.slice(colon + 1).toLowerCase(),
      prefix: colon > 0 ? qname.slice(0, colon) : null,
      attrs,
      text: decodeXmlText(text).replace(/\s+/g, ' ').trim(),
      children,
    },
  ];
}

const PREDEFINED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes the XML predefined entities and character references; anything else stays literal. */
export function decodeXmlText(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]+);/gi, (whole, ref: string) => {
    if (ref.startsWith('#')) {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return PREDEFINED[ref] ?? whole;
  });
}

/** The namespace URI an element's prefix (or the default namespace) resolves to on that element. */
export function namespaceOf(element: XmlElement): string | null {
  const key = element.prefix === null ? 'xmlns' : `xmlns:${element.prefix.toLowerCase()}`;
  return element.attrs[key] ?? null;
}
