/**
 * The aggregation behind GET /stats, pure: counts and durations per day, service, direction
 * and agent group, and the daily quality summary, with small cells suppressed. Nothing that
 * names a person leaves here: numbers are never read, agent ids only to find their group.
 */
import type { RecordingRecord } from '../index/index.js';

export interface Cell {
  readonly calls: number;
  readonly totalDurationMs: number;
}

export interface QualityCell {
  readonly calls: number;
  readonly noMedia: number;
  readonly oneWay: number;
  /** Calls that have a MOS (carried RTP; imports have none). */
  readonly withMos: number;
  readonly meanMos: number | null;
  /** 5th percentile (nearest rank) of the calls' MOS: the bad tail the mean hides. */
  readonly p5Mos: number | null;
}

/** The cells of one dimension with the suppressed ones left out, and how many were. */
export interface Dimension<T> {
  readonly cells: Record<string, T>;
  readonly suppressed: number;
}

type Counts = Map<string, { calls: number; ms: number }>;

/**
 * Primary and complementary suppression of one dimension: a cell under `min` calls is left out;
 * when the left-out cells add up to less than `min` (so a total minus the shown cells would
 * reveal them), the next smallest cells are left out too.
 */
export function suppressedKeys(counts: ReadonlyMap<string, { calls: number }>, min: number): Set<string> {
  const order = [...counts].sort((a, b) => a[1].calls - b[1].calls);
  const hidden = new Set(order.filter(([, v]) => v.calls < min).map(([k]) => k));
  let hiddenSum = order.filter(([k]) => hidden.has(k)).reduce((n, [, v]) => n + v.calls, 0);
  for (const [k, v] of order) {
    if (hidden.size === 0 || hiddenSum >= min || hidden.size === order.length) break;
    if (hidden.has(k)) continue;
    hidden.add(k);
    hiddenSum += v.calls;
  }
  return hidden;
}

export function suppress(
  counts: ReadonlyMap<string, { calls: number; ms: number }>,
  min: number,
): Dimension<Cell> {
  const hidden = suppressedKeys(counts, min);
  const cells: Record<string, Cell> = {};
  for (const [k, v] of [...counts].sort((a, b) => (a[0] < b[0] ? -1 : 1)))
    if (!hidden.has(k)) cells[k] = { calls: v.calls, totalDurationMs: v.ms };
  return { cells, suppressed: hidden.size };
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

function add(m: Counts, key: string, ms: number): void {
  const c = m.get(key) ?? { calls: 0, ms: 0 };
  m.set(key, { calls: c.calls + 1, ms: c.ms + ms });
}

function p5(sorted: readonly number[]): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil(0.05 * sorted.length) - 1)]!;
}

interface QualityAcc {
  calls: number;
  noMedia: number;
  oneWay: number;
  mos: number[];
}

function qualityCell(a: QualityAcc): QualityCell {
  const sorted = [...a.mos].sort((x, y) => x - y);
  const mean = sorted.length === 0 ? null : sorted.reduce((n, v) => n + v, 0) / sorted.length;
  return {
    calls: a.calls,
    noMedia: a.noMedia,
    oneWay: a.oneWay,
    withMos: sorted.length,
    meanMos: mean === null ? null : Math.round(mean * 100) / 100,
    p5Mos: p5(sorted),
  };
}

export interface StatsResult {
  readonly calls: number | null;
  readonly totalDurationMs: number | null;
  readonly byDay: Dimension<Cell>;
  readonly byService: Dimension<Cell>;
  readonly byDirection: Dimension<Cell>;
  readonly byAgentGroup: Dimension<Cell>;
  /** The daily quality summary; a day under the minimum group size is left out. */
  readonly qualityByDay: Dimension<QualityCell>;
  /** Over the whole window; null when the window holds fewer calls than the minimum. */
  readonly quality: QualityCell | null;
}

/** Accumulates records page by page; result() applies the suppression rules. */
export class StatsAccumulator {
  readonly #groupOf: (agent: string | null) => string;
  readonly #byDay: Counts = new Map();
  readonly #byService: Counts = new Map();
  readonly #byDirection: Counts = new Map();
  readonly #byGroup: Counts = new Map();
  readonly #quality = new Map<string, QualityAcc>();
  readonly #all: QualityAcc = { calls: 0, noMedia: 0, oneWay: 0, mos: [] };
  #totalMs = 0;

  constructor(groupOf: (agent: string | null) => string) {
    this.#groupOf = groupOf;
  }

  add(rec: RecordingRecord): void {
    // A training copy is a second recording of a call already counted: not a call of its own.
    if (rec.flags.includes('training')) return;
    const day = rec.startedAt.slice(0, 10);
    this.#totalMs += rec.durationMs;
    add(this.#byDay, day, rec.durationMs);
    add(this.#byService, rec.service ?? '(none)', rec.durationMs);
    add(this.#byDirection, rec.direction, rec.durationMs);
    add(this.#byGroup, this.#groupOf(rec.agent), rec.durationMs);
    const q = this.#quality.get(day) ?? { calls: 0, noMedia: 0, oneWay: 0, mos: [] };
    this.#quality.set(day, q);
    for (const acc of [q, this.#all]) {
      acc.calls++;
      if (rec.flags.includes('no_media')) acc.noMedia++;
      if (rec.flags.includes('one_way')) acc.oneWay++;
      const mos = rec.quality?.mos ?? null;
      if (mos !== null) acc.mos.push(mos);
    }
  }

  result(min: number): StatsResult {
    const shown = this.#all.calls >= min;
    const byDay = suppress(this.#byDay, min);
    const qualityByDay: Record<string, QualityCell> = {};
    for (const day of Object.keys(byDay.cells)) qualityByDay[day] = qualityCell(this.#quality.get(day)!);
    return {
      calls: shown ? this.#all.calls : null,
      totalDurationMs: shown ? this.#totalMs : null,
      byDay,
      byService: suppress(this.#byService, min),
      byDirection: suppress(this.#byDirection, min),
      byAgentGroup: suppress(this.#byGroup, min),
      qualityByDay: { cells: qualityByDay, suppressed: byDay.suppressed },
      quality: shown ? qualityCell(this.#all) : null,
    };
  }
}
