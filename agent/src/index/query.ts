/**
 * Search parameter validation and cursors. A query is checked completely before any read, and
 * every problem names the parameter (CV_ERR_INDEX_BAD_QUERY, context.param). A cursor is the
 * position (start time, id) of the last item returned plus a fingerprint of the query, so it stays
 * valid while records are inserted and is refused for a different query.
 */
import { createHash } from 'node:crypto';
import { IndexBadQueryError } from './errors.js';
import { blind } from './field-crypto.js';
import { parseIsoMs, serviceToken, TIME_HEX_LEN } from './keys.js';
import { parseSubjectNumber, type NormaliseOptions } from '../common/index.js';
import type { StoredRecord } from './record-codec.js';
import type { Direction, SearchQuery } from './types.js';
import { qualityFilter, qualityMatches, type QualityFilter } from './quality.js';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

export interface NormalQuery {
  readonly numberBlind: string | null;
  readonly agentBlind: string | null;
  readonly caseBlind: string | null;
  readonly service: string | null;
  readonly serviceToken: string | null;
  readonly direction: Direction | null;
  readonly fromMs: number | null;
  readonly toMs: number | null;
  readonly expiresBeforeMs: number | null;
  /** minMos, maxMos, flag: residual filters (see quality.ts). */
  readonly quality: QualityFilter;
  readonly limit: number;
  readonly order: 'asc' | 'desc';
  /** `<start hex>!<id>` of the last item already returned. */
  readonly after: string | null;
  readonly fingerprint: string;
}

const KNOWN: ReadonlySet<string> = new Set([
  'number',
  'agent',
  'service',
  'direction',
  'caseId',
  'from',
  'to',
  'expiresBefore',
  'limit',
  'cursor',
  'order',
  'minMos',
  'maxMos',
  'flag',
]);
const POS_RE = new RegExp(`^[0-9a-f]{${TIME_HEX_LEN}}![A-Za-z0-9._-]{1,128}$`);

function optText(q: SearchQuery, param: 'agent' | 'service' | 'caseId'): string | null {
  const v = q[param];
  if (v === undefined) return null;
  if (typeof v !== 'string' || v.length === 0 || v.length > 1024)
    throw new IndexBadQueryError(param, 'must be a non-empty string');
  return v;
}

function optTime(q: SearchQuery, param: 'from' | 'to' | 'expiresBefore'): number | null {
  const v = q[param];
  if (v === undefined) return null;
  const ms = parseIsoMs(v);
  if (ms === null) throw new IndexBadQueryError(param, 'must be an ISO 8601 time');
  return ms;
}

export function encodeCursor(after: string, q: NormalQuery): string {
  return Buffer.from(JSON.stringify({ v: 1, o: q.order, k: after, f: q.fingerprint })).toString('base64url');
}

function decodeCursor(cursor: unknown, order: 'asc' | 'desc', fingerprint: string): string {
  if (
    typeof cursor !== 'string' ||
    cursor.length === 0 ||
    cursor.length > 512 ||
    !/^[A-Za-z0-9_-]+$/.test(cursor)
  ) {
    throw new IndexBadQueryError('cursor', 'is malformed');
  }
  let c: unknown;
  try {
    c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new IndexBadQueryError('cursor', 'is malformed');
  }
  const o = c as { v?: unknown; o?: unknown; k?: unknown; f?: unknown };
  if (typeof c !== 'object' || c === null || o.v !== 1 || typeof o.k !== 'string' || !POS_RE.test(o.k)) {
    throw new IndexBadQueryError('cursor', 'is malformed');
  }
  if (o.o !== order || o.f !== fingerprint)
    throw new IndexBadQueryError('cursor', 'belongs to a different query');
  return o.k;
}

/**
 * Validates a query; `paging` false (count) ignores limit, cursor and order. A number is read as
 * a data subject's number (any spelling, national in `numbers.defaultCountry`); one that is not
 * a full number is refused rather than searched for and found nowhere.
 */
export function normaliseQuery(
  q: SearchQuery,
  blindIndexKey: Buffer,
  paging = true,
  numbers: NormaliseOptions = {},
): NormalQuery {
  if (typeof q !== 'object' || q === null) throw new IndexBadQueryError('query', 'must be an object');
  for (const k of Object.keys(q)) {
    if (!KNOWN.has(k)) throw new IndexBadQueryError(k, 'is not a search parameter');
  }
  let numberBlind: string | null = null;
  if (q.number !== undefined) {
    if (typeof q.number !== 'string') throw new IndexBadQueryError('number', 'must be a phone number');
    let n: string;
    try {
      n = parseSubjectNumber(q.number, numbers);
    } catch (cause) {
      throw new IndexBadQueryError('number', `must be a phone number: ${(cause as Error).message}`);
    }
    numberBlind = blind(blindIndexKey, 'number', n);
  }
  const agent = optText(q, 'agent');
  const caseId = optText(q, 'caseId');
  const service = optText(q, 'service');
  if (q.direction !== undefined && !['inbound', 'outbound', 'unknown'].includes(q.direction)) {
    throw new IndexBadQueryError('direction', 'must be inbound, outbound or unknown');
  }
  const fromMs = optTime(q, 'from');
  const toMs = optTime(q, 'to');
  if (fromMs !== null && toMs !== null && fromMs > toMs)
    throw new IndexBadQueryError('from', 'must not be after to');
  const expiresBeforeMs = optTime(q, 'expiresBefore');
  const quality = qualityFilter(q);
  let limit = DEFAULT_LIMIT;
  if (paging && q.limit !== undefined) {
    if (typeof q.limit !== 'number' || !Number.isInteger(q.limit) || q.limit < 1 || q.limit > MAX_LIMIT) {
      throw new IndexBadQueryError('limit', `must be an integer 1..${MAX_LIMIT}`);
    }
    limit = q.limit;
  }
  const order = paging && q.order !== undefined ? q.order : 'desc';
  if (order !== 'asc' && order !== 'desc') throw new IndexBadQueryError('order', 'must be asc or desc');

  const base = {
    numberBlind,
    agentBlind: agent === null ? null : blind(blindIndexKey, 'agent', agent),
    caseBlind: caseId === null ? null : blind(blindIndexKey, 'case', caseId),
    service,
    serviceToken: service === null ? null : serviceToken(service),
    direction: q.direction ?? null,
    fromMs,
    toMs,
    expiresBeforeMs,
    quality,
    limit,
    order,
  } as const;
  const fingerprint = createHash('sha256')
    .update(
      JSON.stringify([
        base.numberBlind,
        base.agentBlind,
        base.caseBlind,
        service,
        base.direction,
        fromMs,
        toMs,
        expiresBeforeMs,
        order,
        quality.minMos,
        quality.maxMos,
        quality.flag,
      ]),
    )
    .digest()
    .subarray(0, 9)
    .toString('base64url');
  const after = paging && q.cursor !== undefined ? decodeCursor(q.cursor, order, fingerprint) : null;
  return { ...base, after, fingerprint };
}

/** Every filter of the query against a stored record (the residual check and the last word). */
export function matches(s: StoredRecord, q: NormalQuery): boolean {
  if (q.numberBlind !== null && !s.nb.includes(q.numberBlind)) return false;
  if (q.agentBlind !== null && s.ab !== q.agentBlind) return false;
  if (q.caseBlind !== null && s.cb !== q.caseBlind) return false;
  if (q.service !== null && s.service !== q.service) return false;
  if (q.direction !== null && s.direction !== q.direction) return false;
  if (q.fromMs !== null && s.sm < q.fromMs) return false;
  if (q.toMs !== null && s.sm >= q.toMs) return false;
  if (q.expiresBeforeMs !== null && (s.em === null || s.em >= q.expiresBeforeMs)) return false;
  return qualityMatches(s.ql, s.flags, q.quality);
}
