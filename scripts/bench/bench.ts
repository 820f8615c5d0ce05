/**
 * The shape every benchmark module exports (`export const bench: Benchmark`), so run.ts imports
 * a list of them and each module formats its own typed result: no lookup by export name, no casts.
 */

/** One line of docs/benchmarks.md's table (run.ts puts the benchmark's name before it). */
export interface BenchRow {
  readonly metric: string;
  readonly value: string;
  readonly baseline: string;
  readonly ratio: string;
  readonly target: string;
}

export interface BenchOptions {
  /** Where CV_BENCH_* sizes are read (process.env for `make bench`). */
  readonly env: NodeJS.ProcessEnv;
}

export interface BenchResult {
  readonly rows: readonly BenchRow[];
}

export interface Benchmark {
  /** What `npx tsx scripts/bench/run.ts NAME` selects. */
  readonly name: string;
  run(opts: BenchOptions): Promise<BenchResult>;
}

/** A number for the table: fixed digits, `n/a` for NaN/∞. */
export const fmt = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

/** A row with the columns most rows leave empty defaulted. */
export function row(
  metric: string,
  value: string,
  more: Partial<Pick<BenchRow, 'baseline' | 'ratio' | 'target'>> = {},
): BenchRow {
  return {
    metric,
    value,
    baseline: more.baseline ?? '',
    ratio: more.ratio ?? '',
    target: more.target ?? '',
  };
}

/** An env number, or the default when unset. */
export function envNumber(env: NodeJS.ProcessEnv, key: string, fallback: number): number {
  return Number(env[key] ?? fallback);
}
