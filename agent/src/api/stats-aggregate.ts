/**
 * The aggregation behind GET /stats, pure: counts and durations per day, service, direction
 * and agent group, and the daily quality summary, with small cells suppressed. /stats feeds it
 * the index's maintained counters (index/stats-counters.ts), which hold no agent id or number.
 */
import type { Counter, CounterCell, RecordingRecord } from '../index/index.js';
import { applyTo, emptyCounter, mergeInto } from '../index/index.js';

export { agentGrouper } from '../index/index.js';

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

function add(m: Counts, key: string, calls: number, ms: number): void {
  const c = m.get(key) ?? { calls: 0, ms: 0 };
  m.set(key, { calls: c.calls + calls, ms: c.ms + ms });
}

/** 5th percentile (nearest rank) from the MOS histogram of hundredths. */
function p5(c: Counter): number | null {
  if (c.wm <= 0) return null;
  const rank = Math.max(1, Math.ceil(0.05 * c.wm));
  const buckets = Object.keys(c.h)
    .map(Number)
    .sort((x, y) => x - y);
  let seen = 0;
  for (const b of buckets) {
    seen += c.h[String(b)]!;
    if (seen >= rank) return b / 100;
  }
  return null;
}

function qualityCell(c: Counter): QualityCell {
  // `sum` is in hundredths of a MOS point.
  const mean = c.wm <= 0 ? null : Math.round(c.sum / c.wm) / 100;
  return {
    calls: c.c,
    noMedia: c.nm,
    oneWay: c.ow,
    withMos: c.wm,
    meanMos: mean,
    p5Mos: p5(c),
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

/**
 * Accumulates the index's counter cells (or single records, for tests and the benchmark's
 * baseline); result() applies the suppression rules.
 */
export class StatsAccumulator {
  readonly #groupOf: (agent: string | null) => string;
  readonly #byDay: Counts = new Map();
  readonly #byService: Counts = new Map();
  readonly #byDirection: Counts = new Map();
  readonly #byGroup: Counts = new Map();
  readonly #quality = new Map<string, Counter>();
  readonly #all: Counter = emptyCounter();

  constructor(groupOf: (agent: string | null) => string) {
    this.#groupOf = groupOf;
  }

  /** One record, counted as the index counts it (training copies are not calls). */
  add(rec: RecordingRecord): void {
    // A training copy is a second recording of a call already counted: not a call of its own.
    if (rec.flags.includes('training')) return;
    const c = emptyCounter();
    const mos = rec.quality?.mos ?? null;
    const [noMedia, oneWay] = [rec.flags.includes('no_media'), rec.flags.includes('one_way')];
    applyTo(c, { key: '', ms: rec.durationMs, noMedia, oneWay, mos }, 1);
    const group = this.#groupOf(rec.agent);
    this.addCell({
      day: rec.startedAt.slice(0, 10),
      service: rec.service,
      direction: rec.direction,
      group,
      counter: c,
    });
  }

  /** One counter cell of the index (day × service × direction × agent group). */
  addCell(cell: CounterCell): void {
    const c = cell.counter;
    if (c.c <= 0) return;
    add(this.#byDay, cell.day, c.c, c.ms);
    add(this.#byService, cell.service ?? '(none)', c.c, c.ms);
    add(this.#byDirection, cell.direction, c.c, c.ms);
    add(this.#byGroup, cell.group, c.c, c.ms);
    let q = this.#quality.get(cell.day);
    if (q === undefined) {
      q = emptyCounter();
      this.#quality.set(cell.day, q);
    }
    mergeInto(q, c);
    mergeInto(this.#all, c);
  }

  result(min: number): StatsResult {
    const shown = this.#all.c >= min;
    const byDay = suppress(this.#byDay, min);
    const qualityByDay: Record<string, QualityCell> = {};
    for (const day of Object.keys(byDay.cells)) qualityByDay[day] = qualityCell(this.#quality.get(day)!);
    return {
      calls: shown ? this.#all.c : null,
      totalDurationMs: shown ? this.#all.ms : null,
      byDay,
      byService: suppress(this.#byService, min),
      byDirection: suppress(this.#byDirection, min),
      byAgentGroup: suppress(this.#byGroup, min),
      qualityByDay: { cells: qualityByDay, suppressed: byDay.suppressed },
      quality: shown ? qualityCell(this.#all) : null,
    };
  }
}
