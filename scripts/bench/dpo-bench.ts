/**
 * DPO benchmark (issue 16): a data subject's archive (lookup + tar of their recordings) in an
 * index of N recordings, and a retention purge of M due recordings, on a real Storage (vault,
 * keystore, LevelDB index, audit chain, every write synced as in production).
 *   npx tsx scripts/bench/dpo-bench.ts [N] [M]      (defaults 1 000 000 and 100 000)
 * Baselines in the same run: reading the subject's container files plainly (what the archive
 * cannot beat), unlinking M plain files (the floor of any purge), and for statistics over the
 * N indexed recordings, the full scan of the index's records that /stats did before counters.
 */
import {
  mkdtempSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
  mkdirSync,
  readdirSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { silentLogger } from '../../agent/src/common/index.js';
import { loadConfig } from '../../agent/src/config/index.js';
import { openStorage, importWav, type Actor } from '../../agent/src/storage/index.js';
import { dsarExport, runRetention } from '../../agent/src/retention/index.js';
import { agentGrouper, StatsAccumulator } from '../../agent/src/api/stats-aggregate.js';
import type { RecordingRecord } from '../../agent/src/index/index.js';
import { makeToneWav } from '../../test/helpers/audio.js';
import { mulberry32 as prng } from '../../test/helpers/prng.js';
import { syntheticRecords } from './synthetic-records.js';
import { envNumber, fmt, row, type Benchmark } from './bench.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CONFIG = join(ROOT, 'firmware-config', 'dev.yaml');
const DAY_MS = 86_400_000;
const BATCH = 1000;
const SUBJECT = '+46701112233';
const ACTOR: Actor = { name: 'bench', role: 'dpo', from: 'bench' };

export interface DpoBenchResult {
  readonly indexed: number;
  readonly subjectRecordings: number;
  readonly dsar: { ms: number; bytes: number; baselineMs: number };
  readonly purge: { recordings: number; seconds: number; perSecond: number; baselineSeconds: number };
  /** One /stats aggregation over a 400-day window holding all N: from counters vs a full scan. */
  readonly stats: { calls: number; cells: number; ms: number; baselineMs: number };
  readonly setupSeconds: number;
}

/** Concurrent imports while the purge leg is set up. */
const IMPORT_LANES = 16;

async function withStorage<T>(
  dir: string,
  fn: (s: Awaited<ReturnType<typeof openStorage>>) => Promise<T>,
): Promise<T> {
  const config = loadConfig({ file: CONFIG, sets: [`storage.dir=${dir}`, 'log.level=error'] });
  const storage = await openStorage({ config, log: silentLogger() });
  try {
    return await fn(storage);
  } finally {
    await storage.close();
  }
}

type Opened = Awaited<ReturnType<typeof openStorage>>;

/** A quality and flags on the synthetic records, so the counters carry MOS histograms. */
function withQuality(rec: RecordingRecord, i: number): RecordingRecord {
  const noMedia = i % 50 === 0;
  return {
    ...rec,
    flags: noMedia ? ['no_media'] : i % 40 === 0 ? ['one_way'] : [],
    quality: noMedia ? null : { mos: 1 + ((i * 7919) % 350) / 100, lossPct: 0, jitterMs: 5 },
  };
}

/**
 * The /stats aggregation in-process (as api/stats.ts runs it: counters of the window, then the
 * suppression rules), and the baseline: every record of the window paged through the index and
 * decrypted, as /stats did before counters (without its 100 000 cap).
 */
async function statsLeg(storage: Opened, now: number): Promise<DpoBenchResult['stats']> {
  const toMs = Math.ceil((now + 1) / DAY_MS) * DAY_MS;
  const window = { from: new Date(toMs - 400 * DAY_MS).toISOString(), to: new Date(toMs).toISOString() };
  const min = storage.config.api.stats_min_group_size;
  const groupOf = agentGrouper(storage.config.api.stats_agent_groups);
  const s0 = performance.now();
  const acc = new StatsAccumulator(groupOf);
  const cells = await storage.index.statsCounters(window.from.slice(0, 10), window.to.slice(0, 10));
  for (const c of cells) acc.addCell(c);
  const fast = acc.result(min);
  const ms = performance.now() - s0;
  const b0 = performance.now();
  const scan = new StatsAccumulator(groupOf);
  let cursor: string | undefined;
  do {
    const page = await storage.index.search({ ...window, limit: 1000, cursor });
    for (const rec of page.items) scan.add(rec);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  const slow = scan.result(min);
  const baselineMs = performance.now() - b0;
  if (JSON.stringify(fast) !== JSON.stringify(slow))
    throw new Error('statistics from counters differ from the full scan');
  return {
    calls: fast.calls ?? 0,
    cells: cells.length,
    ms: Math.round(ms * 10) / 10,
    baselineMs: Math.round(baselineMs),
  };
}

/** Files under dir whose name ends with `suffix` (the containers). */
function filesEnding(dir: string, suffix: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(suffix))
    .map((e) => join(e.parentPath, e.name));
}

export async function runDpoBench(
  opts: { indexed?: number; purge?: number; subject?: number } = {},
): Promise<DpoBenchResult> {
  const indexed = opts.indexed ?? 1_000_000;
  const purgeN = opts.purge ?? 100_000;
  const subjectN = opts.subject ?? 50;
  const work = mkdtempSync(join(tmpdir(), 'cv-dpo-bench-'));
  const t0 = performance.now();
  try {
    const wav = join(work, 'tone.wav');
    makeToneWav(wav, 5, [440, 1000]);
    const wavBytes = readFileSync(wav);
    const rnd = prng(16);
    const numbers = Array.from(
      { length: 50_000 },
      () => `+4670${String(Math.floor(rnd() * 1e7)).padStart(7, '0')}`,
    );
    const agents = Array.from({ length: 500 }, (_, i) => String(2000 + i));
    const now = Date.now();

    // 1. DSAR: the subject's recordings (real containers) among N indexed ones.
    const dsarDir = join(work, 'dsar');
    const dsar = await withStorage(dsarDir, async (storage) => {
      for (let i = 0; i < subjectN; i++)
        await importWav(storage, ACTOR, wavBytes, JSON.stringify({ number: SUBJECT, agent: '2001' }));
      const record = syntheticRecords({ rnd, numbers, agents, today: now, prefix: 'f' });
      for (let i = 0; i < indexed - subjectN; i += BATCH)
        await storage.index.putRecordings(
          Array.from({ length: Math.min(BATCH, indexed - subjectN - i) }, (_, j) =>
            withQuality(record(i + j), i + j),
          ),
        );
      const s = performance.now();
      let bytes = 0;
      const r = await dsarExport(storage, ACTOR, '070-111 22 33', 'bench: request 1', async (c) => {
        bytes += c.length;
      });
      const ms = performance.now() - s;
      if (r.audioFiles !== subjectN)
        throw new Error(`archive has ${r.audioFiles} audio files, not ${subjectN}`);
      return { ms, bytes, stats: await statsLeg(storage, now) };
    });
    // Baseline: the same containers read as plain files.
    const containers = filesEnding(dsarDir, '.wav.enc');
    const b0 = performance.now();
    for (const f of containers) readFileSync(f);
    const dsarBaselineMs = performance.now() - b0;

    // 2. Purge: M recordings with audio, all past their expiry, removed by one retention run.
    const purgeDir = join(work, 'purge');
    const past = new Date(now - 400 * DAY_MS).toISOString();
    // Setup only (not timed): one-second recordings imported IMPORT_LANES at a time, as
    // concurrent calls finish, so that 100 000 real containers can be made in minutes.
    const shortWav = join(work, 'short.wav');
    makeToneWav(shortWav, 1, [440, 1000]);
    const shortBytes = readFileSync(shortWav);
    await withStorage(purgeDir, async (storage) => {
      let next = 0;
      const lane = async (): Promise<void> => {
        for (let i = next++; i < purgeN; i = next++)
          await importWav(
            storage,
            ACTOR,
            shortBytes,
            JSON.stringify({ number: numbers[i % numbers.length], startedAt: past }),
          );
      };
      await Promise.all(Array.from({ length: IMPORT_LANES }, lane));
    });
    // Due recordings were written long ago: their pages are on disk, not waiting for writeback
    // (removing a file whose pages are still being written waits for the write).
    execFileSync('sync');
    const setupSeconds = (performance.now() - t0) / 1000;
    const purge = await withStorage(purgeDir, async (storage) => {
      const s = performance.now();
      const report = await runRetention(storage, { name: 'retention', role: 'system', from: 'bench' });
      const seconds = (performance.now() - s) / 1000;
      if (report.deleted.length + report.anonymised.length !== purgeN)
        throw new Error(`purged ${report.deleted.length + report.anonymised.length} of ${purgeN}`);
      return { seconds };
    });
    // Baseline: create and unlink as many plain files.
    const plain = join(work, 'plain');
    mkdirSync(plain);
    for (let i = 0; i < purgeN; i++) writeFileSync(join(plain, String(i)), 'x');
    const u0 = performance.now();
    for (let i = 0; i < purgeN; i++) unlinkSync(join(plain, String(i)));
    const baselineSeconds = (performance.now() - u0) / 1000;

    return {
      indexed,
      subjectRecordings: subjectN,
      dsar: { ms: Math.round(dsar.ms), bytes: dsar.bytes, baselineMs: Math.round(dsarBaselineMs * 10) / 10 },
      purge: {
        recordings: purgeN,
        seconds: Math.round(purge.seconds * 10) / 10,
        perSecond: Math.round(purgeN / purge.seconds),
        baselineSeconds: Math.round(baselineSeconds * 100) / 100,
      },
      stats: dsar.stats,
      setupSeconds: Math.round(setupSeconds),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export const bench: Benchmark = {
  name: 'dpo',
  async run({ env }) {
    const r = await runDpoBench({
      indexed: envNumber(env, 'CV_BENCH_DPO_INDEXED', 1_000_000),
      purge: envNumber(env, 'CV_BENCH_DPO_PURGE', 100_000),
    });
    const of = `over ${r.indexed.toLocaleString('en')} indexed`;
    return {
      rows: [
        row(`DSAR lookup + archive of ${r.subjectRecordings} ms ${of}`, fmt(r.dsar.ms, 0), {
          baseline: `${fmt(r.dsar.baselineMs, 1)} (read the containers)`,
          ratio: fmt(r.dsar.ms / r.dsar.baselineMs, 1),
          target: '≤ 2000',
        }),
        row(`purge of ${r.purge.recordings.toLocaleString('en')} due recordings s`, fmt(r.purge.seconds, 1), {
          baseline: `${fmt(r.purge.baselineSeconds, 1)} (unlink as many plain files)`,
          ratio: fmt(r.purge.seconds / r.purge.baselineSeconds, 1),
          target: r.purge.recordings >= 100_000 ? '≤ 60' : `≤ 60 for 100 000`,
        }),
        row(`stats ms ${of}`, fmt(r.stats.ms, 1), {
          baseline: `${fmt(r.stats.baselineMs, 0)} (full scan of the records)`,
          ratio: fmt(r.stats.ms / r.stats.baselineMs, 3),
          target: '≤ 1000',
        }),
      ],
    };
  },
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const n = process.argv[2] !== undefined ? Number(process.argv[2]) : undefined;
  const m = process.argv[3] !== undefined ? Number(process.argv[3]) : undefined;
  console.log(JSON.stringify(await runDpoBench({ indexed: n, purge: m }), null, 2));
}
