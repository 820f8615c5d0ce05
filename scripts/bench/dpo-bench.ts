/**
 * DPO benchmark (issue 16): a data subject's archive (lookup + tar of their recordings) in an
 * index of N recordings, and a retention purge of M due recordings, on a real Storage (vault,
 * keystore, LevelDB index, audit chain, every write synced as in production).
 *   npx tsx scripts/bench/dpo-bench.ts [N] [M]      (defaults 1 000 000 and 100 000)
 * Baselines in the same run: reading the subject's container files plainly (what the archive
 * cannot beat), and unlinking M plain files (the floor of any purge).
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
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { silentLogger } from '../../agent/src/common/index.js';
import { loadConfig } from '../../agent/src/config/index.js';
import { openStorage, importWav, type Actor } from '../../agent/src/storage/index.js';
import { dsarExport, runRetention } from '../../agent/src/retention/index.js';
import { makeToneWav } from '../../test/helpers/audio.js';
import { mulberry32 as prng } from '../../test/helpers/prng.js';
import { syntheticRecords } from './synthetic-records.js';

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
  readonly setupSeconds: number;
}

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
          Array.from({ length: Math.min(BATCH, indexed - subjectN - i) }, (_, j) => record(i + j)),
        );
      const s = performance.now();
      let bytes = 0;
      const r = await dsarExport(storage, ACTOR, '070-111 22 33', 'bench: request 1', async (c) => {
        bytes += c.length;
      });
      const ms = performance.now() - s;
      if (r.audioFiles !== subjectN)
        throw new Error(`archive has ${r.audioFiles} audio files, not ${subjectN}`);
      return { ms, bytes };
    });
    // Baseline: the same containers read as plain files.
    const containers = filesEnding(dsarDir, '.wav.enc');
    const b0 = performance.now();
    for (const f of containers) readFileSync(f);
    const dsarBaselineMs = performance.now() - b0;

    // 2. Purge: M recordings with audio, all past their expiry, removed by one retention run.
    const purgeDir = join(work, 'purge');
    const past = new Date(now - 400 * DAY_MS).toISOString();
    await withStorage(purgeDir, async (storage) => {
      for (let i = 0; i < purgeN; i++)
        await importWav(
          storage,
          ACTOR,
          wavBytes,
          JSON.stringify({ number: numbers[i % numbers.length], startedAt: past }),
        );
    });
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
      setupSeconds: Math.round(setupSeconds),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const n = process.argv[2] !== undefined ? Number(process.argv[2]) : undefined;
  const m = process.argv[3] !== undefined ? Number(process.argv[3]) : undefined;
  console.log(JSON.stringify(await runDpoBench({ indexed: n, purge: m }), null, 2));
}
