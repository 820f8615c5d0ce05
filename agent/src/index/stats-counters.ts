/**
 * Statistics counters kept in the index, so GET /stats costs O(days × cells) instead of a walk
 * over every recording. One counter per UTC day × service × direction × agent group:
 *
 *   S!<day>!<base64url(service) or ->!<direction>!<base64url(group)>  →  JSON counter
 *
 * Only non-personal values are in a key or counter: the agent group is the configured group name
 * (api.stats_agent_groups), never the agent id, and no number is read. A record's group is
 * computed when it is written and kept plain in the record (`sg`), so its deletion (after its
 * personal fields were crypto-shredded) still finds the counter to decrement. Counters change
 * in the same LevelDB batch as the record they count (see RecordingIndex).
 *
 * MOS is kept as a histogram of hundredths (media/stats.ts rounds it to two decimals), so the
 * mean and the nearest-rank 5th percentile come out exactly as from the raw values.
 */
import type { RecordingRecord } from './types.js';
import type { Db } from './storage.js';

export const STATS_PREFIX = 'S!';
export const STATS_END = 'S!~';
/** Which agent-group configuration the stored counters and `sg` fields were computed with. */
export const STATS_GROUPS_KEY = 'm!stats-groups';

/** One cell's sums. `sum`: MOS in hundredths; `h`: MOS in hundredths → calls, sparse. */
export interface Counter {
  c: number;
  ms: number;
  nm: number;
  ow: number;
  wm: number;
  sum: number;
  h: Record<string, number>;
}

/** What one record adds to its cell (null: not counted, e.g. a training copy). */
export interface Contribution {
  readonly key: string;
  readonly ms: number;
  readonly noMedia: boolean;
  readonly oneWay: boolean;
  readonly mos: number | null;
}

export interface CounterCell {
  readonly day: string;
  readonly service: string | null;
  readonly direction: string;
  readonly group: string;
  readonly counter: Counter;
}

/**
 * `api.stats_agent_groups` entries `GROUP:PREFIX`: an agent whose id starts with PREFIX is in
 * GROUP (the longest matching prefix wins); others are `(other)`, calls without an agent `(none)`.
 */
export function agentGrouper(entries: readonly string[]): (agent: string | null) => string {
  const rules = entries
    .map((e) => {
      const at = e.indexOf(':');
      return { group: e.slice(0, at), prefix: e.slice(at + 1) };
    })
    .sort((a, b) => b.prefix.length - a.prefix.length);
  return (agent) => {
    if (agent === null) return '(none)';
    return rules.find((r) => agent.startsWith(r.prefix))?.group ?? '(other)';
  };
}

/** The fingerprint of a group configuration: order does not matter, content does. */
export function groupsFingerprint(entries: readonly string[]): string {
  return JSON.stringify([...entries].sort());
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64url');
const unb64 = (s: string): string => Buffer.from(s, 'base64url').toString('utf8');

export function counterKey(day: string, service: string | null, direction: string, group: string): string {
  return `${STATS_PREFIX}${day}!${service === null ? '-' : b64(service)}!${direction}!${b64(group)}`;
}

export function parseCounterKey(key: string): Omit<CounterCell, 'counter'> {
  const [day, svc, direction, group] = key.slice(STATS_PREFIX.length).split('!') as [
    string,
    string,
    string,
    string,
  ];
  return { day, service: svc === '-' ? null : unb64(svc), direction, group: unb64(group) };
}

/**
 * The stored record's share of the counters. A record from before counters (no `sg`) is
 * placed by whether it has an agent; the recount at open gives it its group.
 */
/** What a stored record gives the counters (record-codec's StoredRecord has these fields). */
export interface CountedRecord {
  readonly flags: readonly string[];
  readonly sg?: string | undefined;
  /** The sealed agent field: null when the record has no agent. */
  readonly ab: unknown;
  readonly startedAt: string;
  readonly service: string | null;
  readonly direction: RecordingRecord['direction'];
  readonly durationMs: number;
  readonly ql?: RecordingRecord['quality'];
}

export function contributionOf(s: CountedRecord): Contribution | null {
  // A training copy is a second recording of a call already counted: not a call of its own.
  if (s.flags.includes('training')) return null;
  const group = s.sg ?? (s.ab === null ? '(none)' : '(other)');
  return {
    key: counterKey(s.startedAt.slice(0, 10), s.service, s.direction, group),
    ms: s.durationMs,
    noMedia: s.flags.includes('no_media'),
    oneWay: s.flags.includes('one_way'),
    mos: s.ql?.mos ?? null,
  };
}

export function emptyCounter(): Counter {
  return { c: 0, ms: 0, nm: 0, ow: 0, wm: 0, sum: 0, h: {} };
}

/** Adds (sign 1) or removes (sign -1) one contribution. */
export function applyTo(c: Counter, x: Contribution, sign: 1 | -1): void {
  c.c += sign;
  c.ms += sign * x.ms;
  if (x.noMedia) c.nm += sign;
  if (x.oneWay) c.ow += sign;
  if (x.mos !== null) {
    c.wm += sign;
    // Whole hundredths: adding and removing leaves no floating-point residue behind.
    const h = Math.round(x.mos * 100);
    c.sum += sign * h;
    const b = String(h);
    const n = (c.h[b] ?? 0) + sign;
    if (n === 0) delete c.h[b];
    else c.h[b] = n;
  }
}

/** Adds counter b into a. */
export function mergeInto(a: Counter, b: Counter): void {
  a.c += b.c;
  a.ms += b.ms;
  a.nm += b.nm;
  a.ow += b.ow;
  a.wm += b.wm;
  a.sum += b.sum;
  // for-in, not Object.entries: /stats merges a few thousand histograms per query.
  for (const k in b.h) {
    const v = (a.h[k] ?? 0) + (b.h[k] as number);
    if (v === 0) delete a.h[k];
    else a.h[k] = v;
  }
}

export function decodeCounter(value: string): Counter {
  const c = JSON.parse(value) as Partial<Counter>;
  return {
    c: c.c ?? 0,
    ms: c.ms ?? 0,
    nm: c.nm ?? 0,
    ow: c.ow ?? 0,
    wm: c.wm ?? 0,
    sum: c.sum ?? 0,
    h: c.h ?? {},
  };
}

/**
 * The net change of a batch of writes, per counter key: replacing a record is its old share
 * out and its new share in, so only cells that really moved are read and written.
 */
export class CounterDelta {
  readonly #cells = new Map<string, Counter>();

  add(x: Contribution | null, sign: 1 | -1): void {
    if (x === null) return;
    let c = this.#cells.get(x.key);
    if (c === undefined) {
      c = emptyCounter();
      this.#cells.set(x.key, c);
    }
    applyTo(c, x, sign);
  }

  get size(): number {
    return this.#cells.size;
  }

  /**
   * The put/del operations that bring the stored counters up to date (read inside the write
   * queue, so no other write moves them in between). A counter that reaches zero calls is
   * deleted; a day with no calls has no key.
   */
  async ops(db: Db): Promise<({ type: 'put'; key: string; value: string } | { type: 'del'; key: string })[]> {
    const keys = [...this.#cells.keys()].filter((k) => this.#cells.get(k)!.c !== 0 || this.#moved(k));
    if (keys.length === 0) return [];
    const stored = await db.getMany(keys);
    return keys.map((key, i) => {
      const v = stored[i];
      const c = v === undefined ? emptyCounter() : decodeCounter(v);
      mergeInto(c, this.#cells.get(key)!);
      return c.c <= 0
        ? { type: 'del' as const, key }
        : { type: 'put' as const, key, value: JSON.stringify(c) };
    });
  }

  /** A change that nets to zero calls can still move duration or quality (an update in place). */
  #moved(key: string): boolean {
    const c = this.#cells.get(key)!;
    return c.ms !== 0 || c.nm !== 0 || c.ow !== 0 || c.wm !== 0 || c.sum !== 0 || Object.keys(c.h).length > 0;
  }

  /** The cells as whole counters (rebuild: nothing stored to merge with). */
  entries(): [string, Counter][] {
    return [...this.#cells].filter(([, c]) => c.c > 0);
  }
}

/** The counters of the UTC days [fromDay, toDay) (YYYY-MM-DD), in key order. */
export async function readCounters(db: Db, fromDay: string, toDay: string): Promise<CounterCell[]> {
  // One read of the whole range (a year is a few thousand cells), not one hop per entry.
  const rows = await db.iterator({ gte: STATS_PREFIX + fromDay, lt: STATS_PREFIX + toDay }).all();
  return rows.map(([key, value]) => ({ ...parseCounterKey(key), counter: decodeCounter(value) }));
}
