/**
 * Load benchmark (issue 6): how many concurrent SIPREC calls the daemon records with zero
 * lost packets on this box, and what each costs, next to a C receiver (the yardstick) and
 * rtpengine (the peer) measured on the same traffic in the same run.
 *
 * Phases: compile the C sender and baseline into .bench/; a bounded search over N (ascending,
 * stopping at the first loss) with short steady states; the load point (default 1 250 calls)
 * with a longer steady state and a recording sample check, bracketed by two baseline runs (right
 * before and right after; the ratios use their mean), then the peer; optionally
 * a CPU profile of the daemon at the load point. The daemon and every receiver run pinned to
 * core 0, the sender to core 1.
 *
 * Run: npx tsx scripts/bench/load-bench.ts   (after `npm run build`; prints JSON)
 * Env: CV_BENCH_LOAD_CALLS (1250), CV_BENCH_LOAD_SECONDS (20; 60 for the acceptance figure),
 *      CV_BENCH_LOAD_SEARCH ("250,500,750,1000"; "" skips the search), CV_BENCH_LOAD_SEARCH_SECONDS (6; 60 for the acceptance figure),
 *      CV_BENCH_LOAD_PEER (1), CV_BENCH_LOAD_BASELINE (1), CV_BENCH_LOAD_PROFILE (0),
 *      CV_BENCH_LOAD_SAMPLE (4), CV_BENCH_LOAD_WARMUP_SECONDS (2).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildC, killAllStarted } from './load/procs.js';
import { runOurs, type OurRun, type RunContext } from './load/run-ours.js';
import { runBaseline, runRtpengine, type BaselineRun, type PeerRun } from './load/run-peers.js';
import { rtpengineAvailable } from './load/rtpengine.js';
import { toneFor } from './load/verify.js';
import type { PlannedStream } from './load/traffic.js';
import { LoadBenchError, BENCH_CHILD_FAILED } from './load/errors.js';
import { loadRows } from './load/rows.js';
import type { Benchmark } from './bench.js';

export interface LoadBenchOptions {
  /** Ascending N for the zero-loss search; stops at the first N with loss. */
  readonly searchCalls?: readonly number[];
  readonly searchSeconds?: number;
  /** The fixed load point (calls) and its steady state (s). */
  readonly loadCalls?: number;
  readonly loadSeconds?: number;
  /** Excluded from the CPU window at the start of each steady state (s). */
  readonly warmupSeconds?: number;
  readonly baseline?: boolean;
  readonly peer?: boolean;
  /** Extra load-point run with `node --cpu-prof` (its CPU figures are not used). */
  readonly profile?: boolean;
  readonly sampleSize?: number;
  /** INVITEs / ng commands in flight during setup. */
  readonly setupWindow?: number;
  /**
   * Time budget (s): search steps, the peer and the profile are skipped once it is spent
   * (the load point and the baseline always run). Default 360, so `make bench` stays < 10 min.
   */
  readonly budgetSeconds?: number;
  /** Keep .bench/load-* work dirs (recordings, plans, reports). */
  readonly keep?: boolean;
  readonly log?: (msg: string) => void;
}

export interface SearchStep {
  readonly calls: number;
  readonly seconds: number;
  readonly packetsSent: number;
  readonly packetsLost: number;
  readonly kernelDrops: number;
  readonly cpuShare: number;
  readonly senderKeptPace: boolean;
  readonly zeroLoss: boolean;
}

export interface LoadBenchResult {
  readonly loadCalls: number;
  readonly loadSeconds: number;
  readonly searchSeconds: number;
  /** Largest N with zero lost packets over its steady state (bounded search, see steps). */
  readonly concurrencyZeroLoss: number;
  readonly oursCpuShare: number;
  /** Daemon CPU per RTP packet (µs), the basis of the ratios below. */
  readonly oursCpuUsPerPacket: number;
  /** Percent of one core per call (100 packets/s). */
  readonly oursCpuPerCallPercent: number;
  readonly oursCallsPerCore: number;
  readonly baselineCpuShare: number | null;
  /** Mean of the baseline runs right before and right after ours (the ratios use it). */
  readonly baselineCpuUsPerPacket: number | null;
  /** Each baseline run's figure, before then after: their spread is the machine's drift. */
  readonly baselineCpuUsPerPacketRuns: readonly number[];
  /** Baseline CPU ÷ our CPU on the same traffic (target ≥ 0.6, stretch ≥ 0.8). */
  readonly efficiency: number | null;
  readonly peerCpuShare: number | null;
  readonly peerCpuUsPerPacket: number | null;
  readonly peerEfficiency: number | null;
  readonly peerCallsPerCore: number | null;
  readonly peerPacketsLost: number | null;
  readonly peerSkipped: string | null;
  readonly voipmonitorCallsPerCore: number;
  readonly packetsSent: number;
  readonly packetsRecorded: number;
  readonly packetsLost: number;
  readonly kernelDrops: number;
  readonly rssMaxMiB: number;
  readonly rssIdleMiB: number;
  readonly rssAfterSetupMiB: number;
  readonly rssTeardownMaxMiB: number;
  readonly setupCpuMsPerCall: number;
  readonly idleCallsCpuShare: number;
  readonly scrapeMaxMs: number;
  readonly scrapeP50Ms: number;
  /** Steady state, per /metrics scrape: most audio waiting for the disk, most ArrayBuffer memory. */
  readonly writeBacklogMaxMiB: number;
  readonly externalMaxMiB: number;
  readonly eventLoopLagP99Ms: number | null;
  readonly eventLoopLagMaxMs: number | null;
  readonly setupCallsPerSecond: number;
  readonly setupFirstFailure: string | null;
  readonly sampleChecked: number;
  readonly sampleOk: number;
  /** Largest |tone start − RTP start| over the sample (s): event-loop backlog made audible. */
  readonly samplePlacementOffsetMaxS: number | null;
  readonly senderLatenessP99Us: number;
  readonly senderPacketsPerSecond: number;
  /** False: the sender fell behind its schedule, so the load was lower than planned. */
  readonly senderKeptPace: boolean;
  readonly steps: readonly SearchStep[];
  /** Phases left out to stay inside the time budget. */
  readonly skipped: readonly string[];
  readonly elapsedSeconds: number;
  readonly ours: OurRun;
  readonly baseline: BaselineRun | null;
  readonly peer: PeerRun | null;
  readonly profile: OurRun['profileTop'];
}

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = join(here, '..', '..');
const VOIPMONITOR_CALLS_PER_CORE = 417;
const MiB = 2 ** 20;

function envNumber(env: NodeJS.ProcessEnv, key: string): number | undefined {
  const v = env[key];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** Options from CV_BENCH_LOAD_* variables (unset ones keep the defaults). */
export function loadBenchOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): LoadBenchOptions {
  const search = env['CV_BENCH_LOAD_SEARCH'];
  const flag = (key: string): boolean | undefined => (env[key] === undefined ? undefined : env[key] !== '0');
  return {
    searchCalls:
      search === undefined
        ? undefined
        : search
            .split(',')
            .filter((s) => s.trim() !== '')
            .map(Number),
    searchSeconds: envNumber(env, 'CV_BENCH_LOAD_SEARCH_SECONDS'),
    loadCalls: envNumber(env, 'CV_BENCH_LOAD_CALLS'),
    loadSeconds: envNumber(env, 'CV_BENCH_LOAD_SECONDS'),
    warmupSeconds: envNumber(env, 'CV_BENCH_LOAD_WARMUP_SECONDS'),
    baseline: flag('CV_BENCH_LOAD_BASELINE'),
    peer: flag('CV_BENCH_LOAD_PEER'),
    profile: flag('CV_BENCH_LOAD_PROFILE'),
    sampleSize: envNumber(env, 'CV_BENCH_LOAD_SAMPLE'),
    keep: flag('CV_BENCH_LOAD_KEEP'),
    budgetSeconds: envNumber(env, 'CV_BENCH_LOAD_BUDGET_SECONDS'),
  };
}

/** Zero loss counts only when every call was set up and the sender really applied the load. */
const zeroLoss = (r: OurRun, wanted: number): boolean =>
  r.calls === wanted &&
  r.packetsLost === 0 &&
  r.steady.kernelDrops === 0 &&
  r.packetsSent > 0 &&
  r.steady.senderKeptPace;

const step = (r: OurRun, calls: number, seconds: number): SearchStep => ({
  calls,
  seconds,
  packetsSent: r.packetsSent,
  packetsLost: r.packetsLost,
  kernelDrops: r.steady.kernelDrops,
  cpuShare: r.steady.cpuShare,
  senderKeptPace: r.steady.senderKeptPace,
  zeroLoss: zeroLoss(r, calls),
});

function maxAbs(xs: readonly number[]): number | null {
  const finite = xs.filter((x) => Number.isFinite(x)).map(Math.abs);
  return finite.length === 0 ? null : Math.max(...finite);
}

/** Calls one core could carry at this per-packet cost (a stereo G.711 call is 100 packets/s). */
const callsPerCore = (usPerPacket: number): number => (usPerPacket > 0 ? 1e6 / (usPerPacket * 100) : 0);

export async function runLoadBench(opts: LoadBenchOptions = {}): Promise<LoadBenchResult> {
  const log = opts.log ?? ((m: string): void => void process.stderr.write(`load-bench: ${m}\n`));
  const loadCalls = opts.loadCalls ?? 1250;
  const loadSeconds = opts.loadSeconds ?? 20;
  const searchSeconds = opts.searchSeconds ?? 6;
  const searchCalls = [...(opts.searchCalls ?? [250, 500, 750, 1000])]
    .filter((n) => n > 0 && n < loadCalls)
    .sort((a, b) => a - b);
  if (!existsSync(join(ROOT, 'dist', 'main.js')))
    throw new LoadBenchError(BENCH_CHILD_FAILED, 'dist/ is missing: run `npm run build` (make bench does)');
  const benchDir = join(ROOT, '.bench');
  mkdirSync(benchDir, { recursive: true });
  const workDir = mkdtempSync(join(benchDir, 'load-'));
  // Two cores: the receiver under test gets core 0, the sender core 1. On one core, no pinning.
  const pin = cpus().length >= 2;
  // This driver (SIP client, sampling) shares the sender's core, never the receiver's.
  if (pin) spawnSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  const ctx: RunContext = {
    root: ROOT,
    workDir,
    senderBin: buildC(ROOT, benchDir, 'rtp-sender'),
    receiverCore: pin ? 0 : null,
    senderCore: pin ? 1 : null,
    warmupSeconds: opts.warmupSeconds ?? 2,
    setupWindow: opts.setupWindow ?? 32,
    log,
  };
  const started = Date.now();
  const budgetMs = (opts.budgetSeconds ?? 360) * 1000;
  // A rough cost of a run: setup (~100 calls/s when loaded), steady state, BYE/finalise/checks.
  const fits = (calls: number, seconds: number): boolean =>
    Date.now() - started + (calls / 100 + seconds + 25) * 1000 <= budgetMs;
  const skipped: string[] = [];
  try {
    const steps: SearchStep[] = [];
    for (const n of searchCalls) {
      // Keep room for the load point, the two baseline runs and the peer.
      if (!fits(n + 2 * loadCalls, searchSeconds + 4 * loadSeconds + 80)) {
        skipped.push(`search N=${n} (budget)`);
        continue;
      }
      let r: OurRun;
      try {
        r = await runOurs(ctx, n, searchSeconds, { sampleSize: 1, profile: false });
      } catch (err) {
        // A step that cannot complete ends the search; the load point still runs.
        skipped.push(`search N=${n} failed: ${(err as Error).message}`);
        log(`search N=${n} failed: ${(err as Error).message}`);
        break;
      }
      const s = step(r, n, searchSeconds);
      steps.push(s);
      log(
        `search N=${n}: lost ${r.packetsLost} of ${r.packetsSent}, kernel drops ${r.steady.kernelDrops}, CPU ${(r.steady.cpuShare * 100).toFixed(1)}% of a core, sender kept pace ${s.senderKeptPace}`,
      );
      if (!s.zeroLoss) break;
    }
    // The baseline runs right before and right after ours, and the ratio uses their mean: the
    // machine is shared and its speed drifts over minutes; the two runs' spread shows by how much.
    const runBaselineFor = async (calls: number, when: string): Promise<BaselineRun | null> => {
      // Same stream count, tones and port layout (even ports of the daemon's range) as the load point.
      const streams: PlannedStream[] = Array.from({ length: calls * 2 }, (_, k) => ({
        port: 20000 + 2 * k,
        toneHz: toneFor(Math.floor(k / 2), ((k % 2) + 1) as 1 | 2),
      }));
      const b = await runBaseline(ctx, streams, loadSeconds).catch((err: unknown) => {
        skipped.push(`baseline ${when} failed: ${(err as Error).message}`);
        return null;
      });
      if (b !== null)
        log(
          `baseline ${when}: CPU ${(b.steady.cpuShare * 100).toFixed(1)}% of a core, received ${b.packetsReceived} of ${b.steady.packetsSent}`,
        );
      return b;
    };
    const baselineBefore = opts.baseline === false ? null : await runBaselineFor(loadCalls, 'before');
    const ours = await runOurs(ctx, loadCalls, loadSeconds, {
      sampleSize: opts.sampleSize ?? 4,
      profile: false,
    });
    steps.push(step(ours, loadCalls, loadSeconds));
    log(
      `load N=${loadCalls}: lost ${ours.packetsLost} of ${ours.packetsSent}, CPU ${(ours.steady.cpuShare * 100).toFixed(1)}% of a core, RSS ${(ours.steady.rssMaxBytes / MiB).toFixed(0)} MiB, sender kept pace ${ours.steady.senderKeptPace}`,
    );
    // The figure is the largest N of the unbroken lossless prefix (the load point counts only
    // when the search before it saw no loss).
    const firstLoss = steps.findIndex((s) => !s.zeroLoss);
    const lossless = firstLoss < 0 ? steps : steps.slice(0, firstLoss);
    const concurrencyZeroLoss = Math.max(0, ...lossless.map((s) => s.calls));

    const baselineAfter = opts.baseline === false ? null : await runBaselineFor(ours.calls, 'after');
    const baseline = baselineAfter ?? baselineBefore;
    const baselineRuns = [baselineBefore, baselineAfter].filter((b): b is BaselineRun => b !== null);
    let peer: PeerRun | null = null;
    let peerSkipped: string | null = null;
    if (opts.peer === false) peerSkipped = 'disabled (CV_BENCH_LOAD_PEER=0)';
    else if (!rtpengineAvailable()) peerSkipped = 'rtpengine not installed (Debian package rtpengine-daemon)';
    else if (!fits(loadCalls, loadSeconds)) peerSkipped = 'time budget spent (CV_BENCH_LOAD_BUDGET_SECONDS)';
    else {
      try {
        peer = await runRtpengine(ctx, loadCalls, loadSeconds, toneFor);
        log(
          `rtpengine: CPU ${(peer.steady.cpuShare * 100).toFixed(1)}% of a core, recorded ${peer.packetsRecorded} of ${peer.steady.packetsSent}`,
        );
      } catch (err) {
        peerSkipped = `failed: ${(err as Error).message}`;
        log(`rtpengine ${peerSkipped}`);
      }
    }
    let profile: OurRun['profileTop'] = null;
    if (opts.profile === true && !fits(loadCalls, 15)) skipped.push('profile (budget)');
    else if (opts.profile === true) {
      const p = await runOurs(ctx, loadCalls, Math.min(loadSeconds, 15), { sampleSize: 0, profile: true });
      profile = p.profileTop;
    }
    const mean = (xs: readonly number[]): number | null =>
      xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
    const baseShare = mean(baselineRuns.map((b) => b.steady.cpuShare));
    const share = ours.steady.cpuShare;
    const usOurs = ours.steady.cpuUsPerPacket;
    const baseUsRuns = baselineRuns.map((b) => b.steady.cpuUsPerPacket);
    const usBase = mean(baseUsRuns);
    const usPeer = peer?.steady.cpuUsPerPacket ?? null;
    return {
      loadCalls,
      loadSeconds,
      searchSeconds,
      concurrencyZeroLoss,
      oursCpuShare: share,
      oursCpuUsPerPacket: usOurs,
      oursCpuPerCallPercent: usOurs * 100 * 1e-4,
      oursCallsPerCore: callsPerCore(usOurs),
      baselineCpuShare: baseShare,
      baselineCpuUsPerPacket: usBase,
      baselineCpuUsPerPacketRuns: baseUsRuns,
      efficiency: usBase === null || usOurs <= 0 ? null : usBase / usOurs,
      peerCpuShare: peer?.steady.cpuShare ?? null,
      peerCpuUsPerPacket: usPeer,
      peerEfficiency: usPeer === null || usBase === null || usPeer <= 0 ? null : usBase / usPeer,
      peerCallsPerCore: usPeer === null ? null : callsPerCore(usPeer),
      peerPacketsLost: peer?.packetsLost ?? null,
      peerSkipped,
      voipmonitorCallsPerCore: VOIPMONITOR_CALLS_PER_CORE,
      packetsSent: ours.packetsSent,
      packetsRecorded: ours.packetsRecorded,
      packetsLost: ours.packetsLost,
      kernelDrops: ours.steady.kernelDrops,
      rssMaxMiB: ours.steady.rssMaxBytes / MiB,
      rssIdleMiB: ours.rssIdleBytes / MiB,
      rssAfterSetupMiB: ours.rssAfterSetupBytes / MiB,
      rssTeardownMaxMiB: ours.rssTeardownMaxBytes / MiB,
      setupCpuMsPerCall: ours.setupCpuMsPerCall,
      idleCallsCpuShare: ours.idleCpuShare,
      scrapeMaxMs: ours.scrapeMaxMs,
      scrapeP50Ms: ours.scrapeP50Ms,
      writeBacklogMaxMiB: ours.writeBacklogMaxMiB,
      externalMaxMiB: ours.externalMaxMiB,
      eventLoopLagP99Ms: ours.eventLoopLagP99Ms,
      eventLoopLagMaxMs: ours.eventLoopLagMaxMs,
      setupCallsPerSecond: ours.setup.callsPerSecond,
      setupFirstFailure: ours.setup.firstFailure,
      sampleChecked: ours.sample.length,
      sampleOk: ours.sample.filter((s) => s.ok).length,
      samplePlacementOffsetMaxS: maxAbs(ours.sample.flatMap((s) => s.placementOffsetS)),
      senderLatenessP99Us: ours.steady.sender.latenessUs.p99,
      senderPacketsPerSecond: ours.steady.sentPerSecond,
      senderKeptPace: ours.steady.senderKeptPace,
      steps,
      skipped,
      elapsedSeconds: (Date.now() - started) / 1000,
      ours,
      baseline,
      peer,
      profile,
    };
  } finally {
    killAllStarted();
    if (opts.keep !== true) rmSync(workDir, { recursive: true, force: true });
  }
}

export const bench: Benchmark = {
  name: 'load',
  async run({ env }) {
    return { rows: loadRows(await runLoadBench(loadBenchOptionsFromEnv(env))) };
  },
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // Last line of defence: whatever hangs, no child outlives this process.
  const hardLimitS = Number(process.env['CV_BENCH_LOAD_MAX_SECONDS'] ?? 900);
  const bail = (why: string, code: number): void => {
    process.stderr.write(`load-bench: ${why}: stopping children\n`);
    killAllStarted();
    process.exit(code);
  };
  setTimeout(() => bail(`over CV_BENCH_LOAD_MAX_SECONDS=${hardLimitS}`, 3), hardLimitS * 1000).unref();
  process.once('SIGINT', () => bail('SIGINT', 130));
  process.once('SIGTERM', () => bail('SIGTERM', 143));
  const result = await runLoadBench(loadBenchOptionsFromEnv());
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
