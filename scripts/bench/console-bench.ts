/**
 * Web console benchmark (issue 17), against the real daemon on loopback:
 * - first load: bytes transferred (≤ 300 KB) and time to interactive (the login form usable,
 *   app.js's `cv-ready` mark; ≤ 1 s) in Debian's Chromium through playwright-core. Baseline:
 *   a navigation to one static file of the same server (the floor of any page from it).
 * - search round trip p99 over N indexed recordings (≤ 200 ms at 1 000 000): synthetic records
 *   put through a Storage's index, then `GET /api/v1/recordings?number=…` over HTTPS with
 *   keep-alive, as the console asks it (20 per page, a supervisor). Baseline: the same searches
 *   in-process on the index, before the daemon opens it.
 * - live listeners: L HTTPS listeners on one live call fed by a SIPREC call (the recorder accepts
 *   MAX_LIVE_LISTENERS per call: the others are refused, and counted), then the same L spread
 *   over as many calls as that takes; the daemon pinned to one core, its CPU % from /proc, and
 *   whether every listener received audio at real time or faster. Baseline: the daemon's CPU with
 *   the same calls and nobody listening. A daemon of its own (empty store) serves this part.
 *   npx tsx scripts/bench/console-bench.ts     (after `make build`; N from CV_BENCH_CONSOLE_RECORDS,
 *   default 1 000 000; L from CV_BENCH_CONSOLE_LISTENERS, default 50)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { silentLogger } from '../../agent/src/common/index.js';
import { loadConfig } from '../../agent/src/config/index.js';
import { openStorage } from '../../agent/src/storage/index.js';
import type { RecordingRecord } from '../../agent/src/index/index.js';
import { MAX_LIVE_LISTENERS } from '../../agent/src/recorder/index.js';
import { ctl, DEV_CONFIG, isolatedSets, startDaemon, type RunningDaemon } from '../../test/helpers/daemon.js';
import { chromiumMissing, openBrowser } from '../../test/helpers/console-browser.js';
import { rtpRangeSet } from '../../test/kit/index.js';
import { mulberry32 as prng } from '../../test/helpers/prng.js';
import { syntheticRecords } from './synthetic-records.js';
import { get, liveRun, origin, type LiveRun } from './console-live-bench.js';
import { envNumber, fmt, row, type BenchRow, type Benchmark } from './bench.js';

export type { LiveRun };

const BATCH = 1000;
const SEARCHES = 300;
const PAGE = 20;
const PW = 'sam has a long passphrase';

export interface ConsoleBenchResult {
  readonly firstLoad: { kb: number; readyMs: number[]; baselineMs: number[] } | { skipped: string };
  readonly search: {
    records: number;
    insertSeconds: number;
    /** Recordings per answer page, on average (the same number has several calls). */
    meanHits: number;
    p50Ms: number;
    p99Ms: number;
    baselineP50Ms: number;
    baselineP99Ms: number;
  };
  readonly live: LiveRun[];
}

const pct = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
};
const r2 = (n: number): number => Math.round(n * 100) / 100;

async function login(base: string): Promise<string> {
  const r = await get(`${base}/api/v1/session`, {
    method: 'POST',
    json: { username: 'sam', password: PW },
  });
  if (r.status !== 200) throw new Error(`login answered ${r.status}`);
  return String((JSON.parse(r.body.toString()) as { token: string }).token);
}

async function addSupervisor(sets: readonly string[]): Promise<void> {
  const r = await ctl(sets, ['users', 'add', 'sam', '--role', 'supervisor', '--password-stdin'], {
    stdin: PW,
  });
  if (r.code !== 0) throw new Error(`users add: ${r.stderr}`);
}

/** Best of five loads: bytes (bodies + headers) and the page's own time to the login form. */
async function firstLoad(base: string): Promise<ConsoleBenchResult['firstLoad']> {
  const missing = chromiumMissing();
  if (missing !== null) return { skipped: missing };
  const b = await openBrowser();
  try {
    const readyMs: number[] = [];
    const baselineMs: number[] = [];
    let bytes = 0;
    type Perf = {
      getEntriesByName(n: string): { startTime: number }[];
      getEntriesByType(t: string): { responseEnd: number }[];
    };
    for (let i = 0; i < 5; i++) {
      const p = await b.context.newPage();
      const bodies: Promise<number>[] = [];
      p.on('response', (res) =>
        bodies.push(
          res.body().then(
            (body) => body.length + JSON.stringify(res.headers()).length,
            () => 0,
          ),
        ),
      );
      await p.goto(`${base}/`);
      await p.locator('#username').waitFor();
      await p.waitForLoadState('networkidle');
      readyMs.push(
        await p.evaluate(
          () =>
            (globalThis as unknown as { performance: Perf }).performance.getEntriesByName('cv-ready')[0]
              ?.startTime ?? Infinity,
        ),
      );
      bytes = Math.max(
        bytes,
        (await Promise.all(bodies)).reduce((a, n) => a + n, 0),
      );
      await p.goto(`${base}/style.css`);
      baselineMs.push(
        await p.evaluate(
          () =>
            (globalThis as unknown as { performance: Perf }).performance.getEntriesByType('navigation')[0]
              ?.responseEnd ?? Infinity,
        ),
      );
      await p.close();
    }
    return { kb: r2(bytes / 1024), readyMs: readyMs.map(Math.round), baselineMs: baselineMs.map(Math.round) };
  } finally {
    await b.close();
  }
}

/** N synthetic records through a Storage's index; the searches timed in-process as the baseline. */
async function fillIndex(
  sets: readonly string[],
  records: number,
  numbers: readonly string[],
  queries: readonly string[],
): Promise<{ insertSeconds: number; baselineMs: number[] }> {
  const config = loadConfig({ file: DEV_CONFIG, sets: [...sets, 'log.level=error'] });
  const storage = await openStorage({ config, log: silentLogger() });
  try {
    const rnd = prng(17);
    const agents = Array.from({ length: 500 }, (_, i) => String(2000 + i));
    const synthetic = syntheticRecords({ rnd, numbers, agents, today: Date.now(), prefix: 'c' });
    // Records without a container: the daemon's start-up reconciliation would remove them as
    // orphans, except those marked as anonymised (`no_audio`), which keep their record by design.
    // A search walks them the same way.
    const record = (i: number): RecordingRecord => ({ ...synthetic(i), flags: ['no_audio'] });
    const t0 = performance.now();
    for (let i = 0; i < records; i += BATCH)
      await storage.index.putRecordings(
        Array.from({ length: Math.min(BATCH, records - i) }, (_, j) => record(i + j)),
      );
    const insertSeconds = (performance.now() - t0) / 1000;
    const baselineMs: number[] = [];
    for (const number of queries) {
      const s = performance.now();
      await storage.index.search({ number, limit: PAGE });
      baselineMs.push(performance.now() - s);
    }
    return { insertSeconds, baselineMs };
  } finally {
    await storage.close();
  }
}

export async function runConsoleBench(
  opts: { records?: number; listeners?: number } = {},
): Promise<ConsoleBenchResult> {
  const records = opts.records ?? 1_000_000;
  const listeners = opts.listeners ?? 50;
  const work = mkdtempSync(join(tmpdir(), 'cv-console-bench-'));
  let daemon: RunningDaemon | undefined;
  try {
    const sets = await isolatedSets(join(work, 'storage'), [rtpRangeSet()]);
    const rnd = prng(18);
    const numbers = Array.from(
      { length: 50_000 },
      () => `+4670${String(Math.floor(rnd() * 1e7)).padStart(7, '0')}`,
    );
    const queries = Array.from({ length: SEARCHES }, () => numbers[Math.floor(rnd() * numbers.length)]!);
    await addSupervisor(sets);
    const filled = await fillIndex(sets, records, numbers, queries);
    daemon = await startDaemon(sets, 600_000);
    const base = origin(sets);
    const load = await firstLoad(base);
    const token = await login(base);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const ms: number[] = [];
    let hits = 0;
    try {
      for (const number of queries) {
        const s = performance.now();
        const r = await get(`${base}/api/v1/recordings?number=${encodeURIComponent(number)}&limit=${PAGE}`, {
          token,
          agent,
        });
        ms.push(performance.now() - s);
        if (r.status !== 200) throw new Error(`search answered ${r.status}`);
        hits += (JSON.parse(r.body.toString()) as { items: unknown[] }).items.length;
      }
    } finally {
      agent.destroy();
    }
    await daemon.stop('SIGTERM', 60_000);
    daemon = undefined;

    // Live listening on a daemon of its own: the large index's compactions (LevelDB threads of
    // the same process) would otherwise show in its CPU time. Pinned to one core, all threads.
    const liveSets = await isolatedSets(join(work, 'live'), [rtpRangeSet()]);
    await addSupervisor(liveSets);
    daemon = await startDaemon(liveSets, 60_000);
    execFileSync('taskset', ['-a', '-p', '-c', '0', String(daemon.child.pid)], { stdio: 'ignore' });
    const liveToken = await login(origin(liveSets));
    const live = [
      await liveRun(liveSets, daemon, liveToken, 1, listeners),
      await liveRun(liveSets, daemon, liveToken, Math.ceil(listeners / MAX_LIVE_LISTENERS), listeners),
    ];
    return {
      firstLoad: load,
      search: {
        records,
        insertSeconds: Math.round(filled.insertSeconds),
        meanHits: r2(hits / queries.length),
        p50Ms: r2(pct(ms, 50)),
        p99Ms: r2(pct(ms, 99)),
        baselineP50Ms: r2(pct(filled.baselineMs, 50)),
        baselineP99Ms: r2(pct(filled.baselineMs, 99)),
      },
      live,
    };
  } finally {
    await daemon?.stop('SIGTERM', 60_000);
    rmSync(work, { recursive: true, force: true });
  }
}

export const bench: Benchmark = {
  name: 'console',
  async run({ env }) {
    const r = await runConsoleBench({
      records: envNumber(env, 'CV_BENCH_CONSOLE_RECORDS', 1_000_000),
      listeners: envNumber(env, 'CV_BENCH_CONSOLE_LISTENERS', 50),
    });
    const rows: BenchRow[] = [];
    if ('skipped' in r.firstLoad) rows.push(row('first load', r.firstLoad.skipped));
    else {
      const best = Math.min(...r.firstLoad.readyMs);
      const floor = Math.min(...r.firstLoad.baselineMs);
      rows.push(
        row('first load KB transferred', fmt(r.firstLoad.kb), { target: '≤ 300' }),
        row(
          `time to interactive ms, best of ${r.firstLoad.readyMs.length} (all: ${r.firstLoad.readyMs.join(' / ')})`,
          fmt(best, 0),
          {
            baseline: `${fmt(floor, 0)} (one static file)`,
            ratio: fmt(best / Math.max(1, floor), 1),
            target: '≤ 1000',
          },
        ),
      );
    }
    rows.push(
      row(
        `search by number p50 / p99 ms over HTTPS at ${r.search.records.toLocaleString('en')} recordings`,
        `${fmt(r.search.p50Ms, 2)} / ${fmt(r.search.p99Ms, 2)}`,
        {
          baseline: `${fmt(r.search.baselineP50Ms, 2)} / ${fmt(r.search.baselineP99Ms, 2)} (index in-process)`,
          ratio: fmt(r.search.p99Ms / r.search.baselineP99Ms, 1),
          target: 'p99 ≤ 200',
        },
      ),
    );
    for (const l of r.live)
      rows.push(
        row(
          `${l.listeners} live listeners on ${l.calls} call(s), daemon on one core: CPU % / accepted / at real time`,
          `${fmt(l.daemonCpuPct)} / ${l.accepted} / ${l.atRealTime}`,
          {
            baseline: `${fmt(l.callsOnlyCpuPct)} (CPU %, the calls with nobody listening)`,
            target: `all ${l.listeners} at real time`,
          },
        ),
      );
    return { rows };
  },
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const n = Number(process.env['CV_BENCH_CONSOLE_RECORDS'] ?? 1_000_000);
  const l = Number(process.env['CV_BENCH_CONSOLE_LISTENERS'] ?? 50);
  console.log(JSON.stringify(await runConsoleBench({ records: n, listeners: l }), null, 2));
}
