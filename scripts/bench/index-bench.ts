/**
 * Index benchmark (issue 5): insert rate (batched), search latency p50/p99 for a number, agent +
 * time range and "expires today", DB open time and disk bytes per recording. Prints JSON.
 *   npx tsx scripts/bench/index-bench.ts [N]      (default 1 000 000)
 * Data: N recordings over the last 365 days, 50 000 customer numbers, 500 agents, expiry spread
 * over the next 365 days (a steady state in which retention already removed what expired).
 */
import { generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { silentLogger } from '../../agent/src/common/index.js';
import { openIndex } from '../../agent/src/index/index.js';
import type { IndexOptions, SearchQuery } from '../../agent/src/index/index.js';
import { mulberry32 as prng } from '../../test/helpers/prng.js';
import { syntheticRecords } from './synthetic-records.js';
import { envNumber, fmt, row, type BenchRow, type Benchmark } from './bench.js';

const DAY_MS = 86_400_000;
const BATCH = 1000;
const SAMPLES = 300;

export interface IndexBenchResult {
  records: number;
  insertPerSecond: number;
  insertSeconds: number;
  openMs: number;
  diskBytesPerRecording: number;
  search: Record<
    'number' | 'agentTimeRange' | 'expiryToday',
    { p50Ms: number; p99Ms: number; meanResults: number }
  >;
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) total += statSync(join(e.parentPath, e.name)).size;
  }
  return total;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export async function runIndexBench(opts: { records: number; dir?: string }): Promise<IndexBenchResult> {
  const rnd = prng(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const today = Date.parse('2025-01-01T00:00:00Z');
  const numbers = Array.from(
    { length: 50_000 },
    () => `+4670${String(Math.floor(rnd() * 1e7)).padStart(7, '0')}`,
  );
  const agents = Array.from({ length: 500 }, (_, i) => String(2000 + i));
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const base = opts.dir ?? mkdtempSync(join(tmpdir(), 'cv-index-bench-'));
  const indexOpts: IndexOptions = {
    dir: join(base, 'index'),
    blindIndexKey: randomBytes(32),
    fieldKey: randomBytes(32),
    sign: (d) => sign(null, d, privateKey),
    verifySignature: (d, s) => verify(null, d, publicKey, s),
    log: silentLogger(),
  };

  const record = syntheticRecords({ rnd, numbers, agents, today });

  let index = await openIndex(indexOpts);
  let insertMs: number;
  try {
    // Wall time of the whole load, generation included; one batch is written while the next is
    // generated and sealed, as concurrent recorders would.
    const t0 = performance.now();
    let inFlight: Promise<number> | null = null;
    for (let i = 0; i < opts.records; i += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, opts.records - i) }, (_, j) => record(i + j));
      const next = index.putRecordings(batch);
      if (inFlight !== null) await inFlight;
      inFlight = next;
    }
    if (inFlight !== null) await inFlight;
    insertMs = performance.now() - t0;
    await index.close();
    const t1 = performance.now();
    index = await openIndex(indexOpts);
    const openMs = performance.now() - t1;

    const measure = async (
      make: () => SearchQuery,
    ): Promise<{ p50Ms: number; p99Ms: number; meanResults: number }> => {
      const times: number[] = [];
      let results = 0;
      for (let i = 0; i < SAMPLES; i++) {
        const q = make();
        const s = performance.now();
        const r = await index.search({ ...q, limit: 100 });
        times.push(performance.now() - s);
        results += r.items.length;
      }
      times.sort((a, b) => a - b);
      const round = (x: number): number => Math.round(x * 100) / 100;
      return {
        p50Ms: round(percentile(times, 50)),
        p99Ms: round(percentile(times, 99)),
        meanResults: round(results / SAMPLES),
      };
    };
    const search = {
      number: await measure(() => ({ number: pick(numbers) })),
      agentTimeRange: await measure(() => {
        const from = today - Math.floor(rnd() * 358 * DAY_MS);
        return {
          agent: pick(agents),
          from: new Date(from).toISOString(),
          to: new Date(from + 7 * DAY_MS).toISOString(),
        };
      }),
      // What retention asks at some moment today: everything whose expiry has passed.
      expiryToday: await measure(() => ({
        expiresBefore: new Date(today + Math.floor(rnd() * DAY_MS)).toISOString(),
        order: 'asc',
      })),
    };
    await index.close();
    return {
      records: opts.records,
      insertPerSecond: Math.round(opts.records / (insertMs / 1000)),
      insertSeconds: Math.round(insertMs / 10) / 100,
      openMs: Math.round(openMs * 10) / 10,
      diskBytesPerRecording: Math.round(dirBytes(indexOpts.dir) / opts.records),
      search,
    };
  } finally {
    await index.close();
    if (opts.dir === undefined) rmSync(base, { recursive: true, force: true });
  }
}

export const bench: Benchmark = {
  name: 'index',
  async run({ env }) {
    const r = await runIndexBench({ records: envNumber(env, 'CV_BENCH_INDEX_RECORDS', 1_000_000) });
    const at = `at ${r.records.toLocaleString('en')} recordings`;
    const rows: BenchRow[] = [
      row(`batched insert/s ${at}`, fmt(r.insertPerSecond, 0), { target: '≥ 20000' }),
      row(`open time ms ${at}`, fmt(r.openMs, 0)),
      row('disk bytes per recording', fmt(r.diskBytesPerRecording, 0)),
    ];
    for (const [name, lat] of Object.entries(r.search)) {
      rows.push(
        row(`search ${name} p50 / p99 ms`, `${fmt(lat.p50Ms, 2)} / ${fmt(lat.p99Ms, 2)}`, {
          target: 'p99 ≤ 50',
        }),
      );
    }
    return { rows };
  },
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const n = Number(process.argv[2] ?? 1_000_000);
  if (!Number.isInteger(n) || n < 1000) {
    console.error('usage: index-bench.ts [N ≥ 1000]');
    process.exit(1);
  }
  console.log(JSON.stringify(await runIndexBench({ records: n }), null, 2));
}
