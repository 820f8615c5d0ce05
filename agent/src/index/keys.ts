/**
 * The LevelDB key layout (utf8 keys, '!' separates parts, '~' is the upper bound of a prefix
 * range because every key character sorts below it). Secondary entries have empty values and
 * end in `<start time hex>!<id>`, so each equality index is also ordered by time and a
 * cursor is a position in it:
 *
 *   m!schema | m!audit-head              meta
 *   r!<id>                               recording (plain fields + sealed personal fields)
 *   t!<start>!<id>                       start time
 *   n!<blind(number)>!<start>!<id>       phone number, blind index (customer + participants)
 *   a!<blind(agent)>!<start>!<id>        agent id, blind index
 *   c!<blind(caseId)>!<start>!<id>       case id, blind index
 *   s!<base64url(service)>!<start>!<id>  service
 *   e!<expires>!<start>!<id>             expiry (retention)
 *   u!<username>  g!<grant id>           users, grants
 *   A!<seq>  B!<seq>                     audit chain entries, signed anchors
 */

export const PREFIX = {
  meta: 'm!',
  rec: 'r!',
  time: 't!',
  number: 'n!',
  agent: 'a!',
  caseId: 'c!',
  service: 's!',
  expiry: 'e!',
  user: 'u!',
  grant: 'g!',
  audit: 'A!',
  anchor: 'B!',
} as const;

/**
 * Every prefix that holds recording data: what rebuild wipes and erasure compacts. Direction
 * has no index: three values select too little to drive a query, so it is a residual filter.
 */
export const RECORDING_PREFIXES: readonly string[] = [
  PREFIX.rec,
  PREFIX.time,
  PREFIX.number,
  PREFIX.agent,
  PREFIX.caseId,
  PREFIX.service,
  PREFIX.expiry,
];

export const KEY_END = '~';
export const SCHEMA_KEY = 'm!schema';
export const AUDIT_HEAD_KEY = 'm!audit-head';

/** 12 hex digits of milliseconds since the epoch: sorts as time until the year 10889. */
export const TIME_HEX_LEN = 12;
export const MAX_TIME_MS = 16 ** TIME_HEX_LEN - 1;

const HALF_HEX = TIME_HEX_LEN / 2;
const HALF_RANGE = 16 ** HALF_HEX;

/**
 * Two 24-bit halves: each is a small integer, whose hex V8 prints on a fast path, where a
 * millisecond time (above 2^31) goes through the slow radix conversion of doubles. It runs
 * several times for every record written.
 */
export function timeHex(ms: number): string {
  const hi = Math.floor(ms / HALF_RANGE);
  const lo = ms - hi * HALF_RANGE;
  return hi.toString(16).padStart(HALF_HEX, '0') + lo.toString(16).padStart(HALF_HEX, '0');
}

export function recKey(id: string): string {
  return PREFIX.rec + id;
}

export function seqKey(prefix: string, seq: number): string {
  return prefix + String(seq).padStart(16, '0');
}

export function serviceToken(service: string): string {
  return Buffer.from(service, 'utf8').toString('base64url');
}

const ISO_RE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

const CANONICAL_ISO_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function digits(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + s.charCodeAt(i) - 48;
  return n;
}

/**
 * The milliseconds of a time already in the form toISOString() gives (`2025-01-01T10:00:00.000Z`,
 * what every recorder writes), or null when it is not in that form or is not a real date. Lets
 * the write path skip formatting the time again: Date.parse accepts `24:00` and rolls day 30 of
 * February over into March, so those are refused here and left to the general path.
 */
export function canonicalIsoMs(value: string): number | null {
  if (!CANONICAL_ISO_RE.test(value)) return null;
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 7);
  const day = digits(value, 8, 10);
  if (month < 1 || month > 12 || day < 1 || digits(value, 11, 13) > 23) return null;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (DAYS_IN_MONTH[month - 1] as number) + (month === 2 && leap ? 1 : 0)) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) && ms >= 0 && ms <= MAX_TIME_MS ? ms : null;
}

/** Milliseconds of an ISO 8601 date or date-time, or null when it is not one. */
export function parseIsoMs(value: unknown): number | null {
  if (typeof value !== 'string' || !ISO_RE.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) && ms >= 0 && ms <= MAX_TIME_MS ? ms : null;
}

/** The range [gte, lt) of one index prefix; `lo`/`hi` narrow it by time (hex, within the prefix). */
export function prefixRange(prefix: string, lo?: string, hi?: string): { gte: string; lt: string } {
  return { gte: prefix + (lo ?? ''), lt: prefix + (hi ?? KEY_END) };
}
