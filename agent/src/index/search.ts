/**
 * Query planning and execution over the secondary indexes. Every equality index is ordered by
 * (start time, id) within its value, so a query is answered by walking one "driver" range in
 * result order and checking the remaining filters on each record until the page is full. The
 * driver is the candidate whose range holds the fewest keys, found by counting each range up to
 * PROBE_CAP keys (cheap key-only reads). The expiry index is ordered by expiry, not start time:
 * when it drives, its positions are collected and sorted first.
 */
import type { ClassicLevel } from 'classic-level';
import { PREFIX, prefixRange, recKey, timeHex, TIME_HEX_LEN } from './keys.js';
import { matches } from './query.js';
import { hasQualityFilter } from './quality.js';
import type { NormalQuery } from './query.js';
import { parseStored } from './record-codec.js';
import type { StoredRecord } from './record-codec.js';

type Db = ClassicLevel<string, string>;

export const PROBE_CAP = 1000;
const FILTER_CHUNK = 128;
const KEY_CHUNK = 1000;

export type Plan =
  | { readonly kind: 'ordered'; readonly prefix: string; readonly residual: boolean }
  | { readonly kind: 'expiry'; readonly residual: boolean };

interface Range {
  gte: string;
  lt: string;
}

function equalityPrefixes(q: NormalQuery): string[] {
  const out: string[] = [];
  if (q.numberBlind !== null) out.push(`${PREFIX.number}${q.numberBlind}!`);
  if (q.caseBlind !== null) out.push(`${PREFIX.caseId}${q.caseBlind}!`);
  if (q.agentBlind !== null) out.push(`${PREFIX.agent}${q.agentBlind}!`);
  if (q.serviceToken !== null) out.push(`${PREFIX.service}${q.serviceToken}!`);
  return out;
}

function orderedRange(prefix: string, q: NormalQuery): Range {
  return prefixRange(
    prefix,
    q.fromMs === null ? undefined : timeHex(q.fromMs),
    q.toMs === null ? undefined : timeHex(q.toMs),
  );
}

function expiryRange(q: NormalQuery): Range {
  return prefixRange(PREFIX.expiry, undefined, timeHex(q.expiresBeforeMs ?? 0));
}

async function probe(db: Db, range: Range): Promise<number> {
  const keys = await db.keys({ ...range, limit: PROBE_CAP }).all();
  return keys.length;
}

export async function planQuery(db: Db, q: NormalQuery): Promise<Plan> {
  const eq = equalityPrefixes(q);
  const hasExpiry = q.expiresBeforeMs !== null;
  // Filters no index answers: checked on each record the driving range yields.
  const plain = q.direction !== null || hasQualityFilter(q.quality);
  const candidates: { plan: Plan; range: Range }[] = eq.map((prefix) => ({
    plan: { kind: 'ordered', prefix, residual: eq.length > 1 || hasExpiry || plain },
    range: orderedRange(prefix, q),
  }));
  if (hasExpiry) {
    const residual = eq.length > 0 || plain;
    candidates.push({ plan: { kind: 'expiry', residual }, range: expiryRange(q) });
  }
  // The time index only when no equality index exists: each of those is a subset of it.
  if (eq.length === 0) {
    candidates.push({
      plan: { kind: 'ordered', prefix: PREFIX.time, residual: hasExpiry || plain },
      range: orderedRange(PREFIX.time, q),
    });
  }
  const first = candidates[0];
  if (first === undefined) throw new Error('unreachable: the time index is always a candidate');
  if (candidates.length === 1) return first.plan;
  let best = first;
  let bestCount = Infinity;
  for (const c of candidates) {
    const n = await probe(db, c.range);
    if (n < bestCount) {
      best = c;
      bestCount = n;
    }
  }
  // All ranges at the cap: prefer the order of equalityPrefixes, then the expiry index, whose
  // cost is its own size, over an unbounded walk of the time index.
  return best.plan;
}

function positionOf(key: string, prefixLen: number): string {
  return key.slice(prefixLen);
}

async function fetchMatching(
  db: Db,
  ids: string[],
  q: NormalQuery,
  out: StoredRecord[],
  want: number,
): Promise<void> {
  const values = await db.getMany(ids.map(recKey));
  for (let i = 0; i < ids.length && out.length < want; i++) {
    const v = values[i];
    const id = ids[i];
    // A dangling entry (no record) is skipped here and reported by checkConsistency().
    if (v === undefined || id === undefined) continue;
    const s = parseStored(id, v);
    if (matches(s, q)) out.push(s);
  }
}

function idOf(key: string): string {
  return key.slice(key.lastIndexOf('!') + 1);
}

async function scanOrdered(
  db: Db,
  prefix: string,
  q: NormalQuery,
  want: number,
  residual: boolean,
): Promise<StoredRecord[]> {
  const range = orderedRange(prefix, q);
  const cursorKey = q.after === null ? null : prefix + q.after;
  const opts =
    q.order === 'asc'
      ? cursorKey !== null && cursorKey >= range.gte
        ? { gt: cursorKey, lt: range.lt }
        : { gte: range.gte, lt: range.lt }
      : cursorKey !== null && cursorKey <= range.lt
        ? { gte: range.gte, lt: cursorKey, reverse: true }
        : { gte: range.gte, lt: range.lt, reverse: true };
  const out: StoredRecord[] = [];
  const it = db.keys(opts);
  try {
    while (out.length < want) {
      const chunk = await it.nextv(residual ? FILTER_CHUNK : want - out.length);
      if (chunk.length === 0) break;
      await fetchMatching(db, chunk.map(idOf), q, out, want);
    }
  } finally {
    await it.close();
  }
  return out;
}

/** Positions (`<start hex>!<id>`) from the expiry range that pass the time and cursor filters. */
async function expiryPositions(db: Db, q: NormalQuery): Promise<string[]> {
  const skip = PREFIX.expiry.length + TIME_HEX_LEN + 1;
  const fromHex = q.fromMs === null ? null : timeHex(q.fromMs);
  const toHex = q.toMs === null ? null : timeHex(q.toMs);
  const out: string[] = [];
  const it = db.keys(expiryRange(q));
  try {
    for (;;) {
      const chunk = await it.nextv(KEY_CHUNK);
      if (chunk.length === 0) break;
      for (const key of chunk) {
        const pos = positionOf(key, skip);
        const t = pos.slice(0, TIME_HEX_LEN);
        if (fromHex !== null && t < fromHex) continue;
        if (toHex !== null && t >= toHex) continue;
        if (q.after !== null && (q.order === 'asc' ? pos <= q.after : pos >= q.after)) continue;
        out.push(pos);
      }
    }
  } finally {
    await it.close();
  }
  out.sort();
  if (q.order === 'desc') out.reverse();
  return out;
}

async function scanExpiry(db: Db, q: NormalQuery, want: number): Promise<StoredRecord[]> {
  const positions = await expiryPositions(db, q);
  const out: StoredRecord[] = [];
  for (let i = 0; i < positions.length && out.length < want; i += FILTER_CHUNK) {
    await fetchMatching(db, positions.slice(i, i + FILTER_CHUNK).map(idOf), q, out, want);
  }
  return out;
}

/** Up to `want` stored records matching q, in q.order, after q.after. */
export async function runSearch(db: Db, q: NormalQuery, want: number): Promise<StoredRecord[]> {
  const plan = await planQuery(db, q);
  return plan.kind === 'expiry'
    ? scanExpiry(db, q, want)
    : scanOrdered(db, plan.prefix, q, want, plan.residual);
}

async function countKeys(db: Db, range: Range): Promise<number> {
  let n = 0;
  const it = db.keys(range);
  try {
    for (;;) {
      const chunk = await it.nextv(KEY_CHUNK);
      if (chunk.length === 0) return n;
      n += chunk.length;
    }
  } finally {
    await it.close();
  }
}

export async function runCount(db: Db, q: NormalQuery): Promise<number> {
  const plan = await planQuery(db, q);
  if (plan.kind === 'expiry') {
    const positions = await expiryPositions(db, q);
    if (!plan.residual) return positions.length;
    const out: StoredRecord[] = [];
    for (let i = 0; i < positions.length; i += FILTER_CHUNK) {
      await fetchMatching(db, positions.slice(i, i + FILTER_CHUNK).map(idOf), q, out, Infinity);
    }
    return out.length;
  }
  if (!plan.residual) return countKeys(db, orderedRange(plan.prefix, q));
  return (await scanOrdered(db, plan.prefix, q, Infinity, true)).length;
}

export function positionOfRecord(s: StoredRecord): string {
  return `${timeHex(s.sm)}!${s.id}`;
}
