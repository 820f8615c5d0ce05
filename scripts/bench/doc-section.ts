/**
 * docs/benchmarks.md holds both what `make bench` measures and hand-written sections (load
 * passes, DPO, console, media A/B, scrape) that no run reproduces. The run owns only the part
 * between its markers; everything else is kept byte for byte.
 */
import type { BenchRow } from './bench.js';

export const SECTION_START = '<!-- bench:run start -->';
export const SECTION_END = '<!-- bench:run end -->';

/**
 * `doc` with its marked section's body replaced by `body`. A document without the markers gets
 * the section right under its first line (the title); an empty one gets a title and the section.
 * Markers out of order or doubled are refused: guessing could drop hand-written text.
 */
export function replaceRunSection(doc: string, body: string): string {
  const section = `${SECTION_START}\n${body.trim()}\n${SECTION_END}`;
  const start = doc.indexOf(SECTION_START);
  const end = doc.indexOf(SECTION_END);
  const doubled = doc.indexOf(SECTION_START, start + 1) >= 0 || doc.indexOf(SECTION_END, end + 1) >= 0;
  if (start >= 0 && end > start && !doubled)
    return doc.slice(0, start) + section + doc.slice(end + SECTION_END.length);
  if (start >= 0 || end >= 0)
    throw new Error(`docs/benchmarks.md: ${SECTION_START} … ${SECTION_END} are out of order`);
  if (doc.trim() === '') return `# Benchmarks\n\n${section}\n`;
  const nl = doc.indexOf('\n');
  if (nl < 0) return `${doc}\n\n${section}\n`;
  return `${doc.slice(0, nl + 1)}\n${section}\n${doc.slice(nl + 1)}`;
}

export const TABLE_HEAD =
  '| bench | metric | value | baseline (same run) | ratio | target |\n|---|---|---|---|---|---|';

/** One table line: the benchmark's name, then its row. */
export function tableLine(name: string, r: BenchRow): string {
  return `| ${name} | ${r.metric} | ${r.value} | ${r.baseline} | ${r.ratio} | ${r.target} |`;
}

/** The table lines of the run section in `doc`, by benchmark name (first column); none when absent. */
export function sectionLines(doc: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const start = doc.indexOf(SECTION_START);
  const end = doc.indexOf(SECTION_END);
  if (start < 0 || end < start) return out;
  for (const line of doc.slice(start, end).split('\n')) {
    const name = /^\| ([^|]+?) \|/.exec(line)?.[1];
    if (name === undefined || name === 'bench' || line.startsWith('|---')) continue;
    out.set(name, [...(out.get(name) ?? []), line]);
  }
  return out;
}

/**
 * The table for a run of `ran` (benchmark name → its rows), in `order`. A benchmark this run
 * left out keeps its lines from the earlier run, so `run.ts vault` does not wipe the rest.
 */
export function mergedTable(
  order: readonly string[],
  ran: ReadonlyMap<string, readonly BenchRow[]>,
  earlier: ReadonlyMap<string, readonly string[]>,
): string {
  const lines = order.flatMap((name) => {
    const rows = ran.get(name);
    return rows === undefined ? (earlier.get(name) ?? []) : rows.map((r) => tableLine(name, r));
  });
  return [TABLE_HEAD, ...lines].join('\n');
}
