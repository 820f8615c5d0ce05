/**
 * One load point against our daemon: start it pinned to a core, set up N SIPREC calls,
 * run the steady state, BYE everything, stop it, then count what was recorded and check a
 * sample of recordings. Every child is stopped in `finally`.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SipLoadClient, type LoadCall, type SetupResult } from './sip-load-client.js';
import {
  cpuSeconds,
  daemonNodeFlags,
  mainThreadCpuSeconds,
  rssBytes,
  stopPinned,
  withDeadline,
  type Pinned,
} from './procs.js';
import { startOurs, type OurPorts } from './start-ours.js';
import { steadyState, writePlan, type PlannedStream, type SteadyState } from './traffic.js';
import { promValue, topSelfTime, type CpuProfile, type SelfTime } from './observe.js';
import { checkSample, readRecordings, toneFor, type SampleCheck } from './verify.js';

export interface RunContext {
  readonly root: string;
  readonly workDir: string;
  readonly senderBin: string;
  readonly receiverCore: number | null;
  readonly senderCore: number | null;
  readonly warmupSeconds: number;
  readonly setupWindow: number;
  readonly log: (msg: string) => void;
}

export interface OurRun {
  readonly calls: number;
  readonly setup: Omit<SetupResult, 'calls'>;
  readonly steady: Omit<SteadyState, 'sender'> & {
    readonly sender: Omit<SteadyState['sender'], 'perStream'>;
  };
  readonly packetsSent: number;
  readonly packetsRecorded: number;
  /** Σ over streams of max(0, sent − recorded): counts tail loss too. */
  readonly packetsLost: number;
  /** RFC 3550 loss and late packets the daemon itself counted. */
  readonly streamLost: number;
  readonly streamLate: number;
  readonly recordings: number;
  readonly rssIdleBytes: number;
  /** RSS once every call is set up, before any RTP: the per-call fixed memory. */
  readonly rssAfterSetupBytes: number;
  /** Peak RSS from the first BYE until no call is active (every recording finalised at once). */
  readonly rssTeardownMaxBytes: number;
  /** Daemon CPU per call set up (ms): INVITE → 200 OK → ACK, container and index work. */
  readonly setupCpuMsPerCall: number;
  /** Share of a core the daemon uses with every call up but no RTP yet. */
  readonly idleCpuShare: number;
  /** V8 heap and external (ArrayBuffer) memory at the end of the steady state. */
  readonly memoryAfterSteadyStateMiB: { heapUsed: number; heapTotal: number; external: number };
  /** The main thread's part of idleCpuShare. */
  readonly idleMainThreadCpuShare: number;
  /** prom-client event-loop delay over the steady state, scraped once a second (worst scrape). */
  readonly eventLoopLagP99Ms: number | null;
  readonly eventLoopLagMaxMs: number | null;
  /** Slowest /metrics answer during the steady state (ms): the loop's responsiveness seen from outside. */
  readonly scrapeMaxMs: number;
  readonly scrapeP50Ms: number;
  /** /metrics answers while the calls are set up (four a second): the loop's busiest time. */
  readonly scrapeSetupP50Ms: number;
  readonly scrapeSetupMaxMs: number;
  /** Most encrypted audio seen waiting for the disk, and most ArrayBuffer memory (MiB, per scrape). */
  readonly writeBacklogMaxMiB: number;
  readonly externalMaxMiB: number;
  readonly activeCallsDuringSteadyState: number | null;
  readonly byeFailed: number;
  readonly daemonExit: number | string;
  readonly sample: readonly SampleCheck[];
  readonly profileTop: readonly SelfTime[] | null;
}

const CONFIG = 'firmware-config/dev.yaml';

async function scrape(port: number): Promise<string> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
    return await r.text();
  } catch {
    return '';
  }
}

interface WatchedFigures {
  eventLoopLagP99Ms: number | null;
  eventLoopLagMaxMs: number | null;
  scrapeMaxMs: number;
  /** Median of the once-a-second scrapes (the max may be one unlucky scrape). */
  scrapeP50Ms: number;
  writeBacklogMaxMiB: number;
  externalMaxMiB: number;
}

/** Scrapes /metrics about once a second until `until` settles; keeps the worst lag and memory figures. */
async function watchDaemon(port: number, until: Promise<unknown>): Promise<WatchedFigures> {
  let done = false;
  void until.then(
    () => (done = true),
    () => (done = true),
  );
  let p99: number | null = null;
  let max: number | null = null;
  let scrapeMaxMs = 0;
  const scrapeMs: number[] = [];
  let backlogMax = 0;
  let externalMax = 0;
  const worst = (a: number | null, b: number | null): number | null =>
    b === null ? a : a === null ? b : Math.max(a, b);
  for (let i = 0; i < 7200 && !done; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    if (done) break;
    const took = await curlScrapeMs(port);
    scrapeMaxMs = Math.max(scrapeMaxMs, took);
    scrapeMs.push(took);
    const text = await scrape(port);
    const ms = (q: string): number | null => {
      const v = promValue(text, `nodejs_eventloop_lag_${q}_seconds`);
      return v === null ? null : v * 1000;
    };
    p99 = worst(p99, ms('p99'));
    max = worst(max, ms('max'));
    backlogMax = Math.max(backlogMax, promValue(text, 'callvault_vault_write_backlog_bytes') ?? 0);
    externalMax = Math.max(externalMax, promValue(text, 'nodejs_external_memory_bytes') ?? 0);
  }
  const sorted = [...scrapeMs].sort((a, b) => a - b);
  return {
    scrapeP50Ms: sorted[Math.floor(sorted.length / 2)] ?? 0,
    eventLoopLagP99Ms: p99,
    eventLoopLagMaxMs: max,
    scrapeMaxMs,
    writeBacklogMaxMiB: backlogMax / 2 ** 20,
    externalMaxMiB: externalMax / 2 ** 20,
  };
}

/**
 * How long /metrics takes to answer, timed by curl in a process of its own: this process is busy
 * sending INVITEs while calls are set up, and its own loop delay must not count as the daemon's.
 */
function curlScrapeMs(port: number): Promise<number> {
  const url = `http://127.0.0.1:${port}/metrics`;
  return new Promise((resolve) => {
    execFile('curl', ['-s', '-o', '/dev/null', '-m', '5', '-w', '%{time_total}', url], (err, out) =>
      resolve(err === null ? Number(out) * 1000 : 5000),
    );
  });
}

/** Times /metrics answers every `everyMs` until `until` settles (bounded: at most 10 minutes). */
async function scrapeTimesDuring(
  port: number,
  until: Promise<unknown>,
  everyMs: number,
): Promise<{ p50Ms: number; maxMs: number }> {
  let done = false;
  void until.then(
    () => (done = true),
    () => (done = true),
  );
  const times: number[] = [];
  const stopBy = Date.now() + 600_000;
  while (!done && Date.now() < stopBy) {
    times.push(await curlScrapeMs(port));
    await new Promise((r) => setTimeout(r, everyMs));
  }
  const sorted = times.sort((a, b) => a - b);
  return { p50Ms: sorted[Math.floor(sorted.length / 2)] ?? 0, maxMs: sorted.at(-1) ?? 0 };
}

function pickSample(calls: readonly LoadCall[], size: number): LoadCall[] {
  if (calls.length <= size) return [...calls];
  const step = (calls.length - 1) / Math.max(1, size - 1);
  return Array.from({ length: size }, (_, k) => calls[Math.round(k * step)]!);
}

export async function runOurs(
  ctx: RunContext,
  n: number,
  seconds: number,
  opts: { sampleSize: number; profile: boolean },
): Promise<OurRun> {
  const dir = mkdtempSync(join(ctx.workDir, `ours-${n}-`));
  const setsOn = (ports: OurPorts): string[] => [
    `storage.dir=${join(dir, 'storage')}`,
    `sip.udp=127.0.0.1:${ports.sip}`,
    `sip.tcp=127.0.0.1:${ports.sip}`,
    `api.listen=127.0.0.1:${ports.api}`,
    `metrics.listen=127.0.0.1:${ports.metrics}`,
    'media.rtp_ports=20000-29999',
    // The steady state plus setup and BYE must not look like dead media.
    `media.rtp_timeout_ms=${Math.min(3_600_000, (seconds + 300) * 1000)}`,
    'log.level=warn',
    // Extra daemon settings for experiments (e.g. storage.fsync=off), comma-separated.
    ...(process.env.CV_BENCH_LOAD_SETS ?? '').split(',').filter((x) => x !== ''),
  ];
  const nodeArgs = [
    ...daemonNodeFlags(ctx.root),
    ...(opts.profile ? ['--cpu-prof', '--cpu-prof-dir', join(dir, 'prof')] : []),
    // Extra node flags for experiments (e.g. --max-semi-space-size=4), comma-separated.
    ...(process.env.CV_BENCH_LOAD_NODE_ARGS ?? '').split(',').filter((x) => x !== ''),
  ];
  let daemon = null as Pinned | null;
  // Assigned inside the deadline closure; read by finally.
  let client = null as SipLoadClient | null;
  try {
    return await withDeadline(`ours N=${n}`, (3 * seconds + 420) * 1000, async () => {
      const ours = await startOurs({
        root: ctx.root,
        core: ctx.receiverCore,
        nodeArgs,
        config: CONFIG,
        sets: setsOn,
        started: (p) => (daemon = p),
      });
      const d = ours.proc;
      const { sets } = ours;
      const { sip, metrics: metricsPort } = ours.ports;
      const rssIdleBytes = rssBytes(d.pid);
      client = await SipLoadClient.open({ host: '127.0.0.1', port: sip });
      ctx.log(`ours N=${n}: setting up calls`);
      const setupCpu0 = cpuSeconds(d.pid);
      const setupRun = client.setup(n, { window: ctx.setupWindow });
      const setupScrapes = scrapeTimesDuring(metricsPort, setupRun, 250);
      const setup = await setupRun;
      const { p50Ms: scrapeSetupP50Ms, maxMs: scrapeSetupMaxMs } = await setupScrapes;
      const setupCpuMsPerCall = ((cpuSeconds(d.pid) - setupCpu0) * 1000) / Math.max(1, setup.calls.length);
      // Let the set-up work drain (index writes, timers) before sampling memory.
      await new Promise((r) => setTimeout(r, 1000));
      const rssAfterSetupBytes = rssBytes(d.pid);
      // What N calls cost with no RTP at all (recorder ticks, silence fill, timers).
      const idle0 = cpuSeconds(d.pid);
      const idleMain0 = mainThreadCpuSeconds(d.pid);
      await new Promise((r) => setTimeout(r, 2000));
      const idleCpuShare = (cpuSeconds(d.pid) - idle0) / 2;
      const idleMainThreadCpuShare = (mainThreadCpuSeconds(d.pid) - idleMain0) / 2;
      ctx.log(
        `ours N=${n}: ${setup.calls.length} calls in ${(setup.elapsedMs / 1000).toFixed(1)} s (${setup.callsPerSecond.toFixed(0)}/s), first failure ${setup.firstFailure ?? 'none'}`,
      );
      const streams: PlannedStream[] = setup.calls.flatMap((c) => [
        { port: c.ports[0]!, toneHz: toneFor(c.index, 1) },
        { port: c.ports[1]!, toneHz: toneFor(c.index, 2) },
      ]);
      const planPath = join(dir, 'plan.txt');
      writePlan(planPath, streams);
      await scrape(metricsPort); // resets prom-client's event-loop delay histogram
      const steadyRun = steadyState({
        senderBin: ctx.senderBin,
        senderCore: ctx.senderCore,
        planPath,
        reportPath: join(dir, 'sender.json'),
        streams,
        seconds,
        warmupSeconds: ctx.warmupSeconds,
        pid: d.pid,
      });
      const daemonWatch = watchDaemon(metricsPort, steadyRun);
      const steady = await steadyRun;
      const watched = await daemonWatch;
      const metrics = await scrape(metricsPort);
      // Every call ending at once (a trunk drop) finalises every recording together: watch RSS
      // until the daemon has exited (shutdown finalises whatever is left).
      let rssTeardownMaxBytes = rssBytes(d.pid);
      const teardownWatch = setInterval(() => {
        rssTeardownMaxBytes = Math.max(rssTeardownMaxBytes, rssBytes(d.pid));
      }, 100);
      const byeStart = Date.now();
      const bye = await client.byeAll(setup.calls, ctx.setupWindow);
      const byeEnd = Date.now();
      ctx.log(
        `ours N=${n}: BYE ok ${bye.ok}, failed ${bye.failed} in ${((byeEnd - byeStart) / 1000).toFixed(1)} s`,
      );
      // Calls whose INVITE timed out on our side may still be up until the daemon's ACK timeout.
      const drainBy = Date.now() + 60_000;
      while (Date.now() < drainBy && promValue(await scrape(metricsPort), 'callvault_calls_active') !== 0)
        await new Promise((r) => setTimeout(r, 250));
      await client.close();
      client = null;
      const daemonExit = await stopPinned(d, 'SIGTERM', 60_000);
      clearInterval(teardownWatch);
      daemon = null;

      const recorded = await readRecordings(CONFIG, sets, ctx.root);
      let packetsRecorded = 0;
      let packetsLost = 0;
      setup.calls.forEach((c, k) => {
        const rec = recorded.byCall.get(c.index);
        for (const label of [1, 2] as const) {
          const sent = steady.sender.perStream[2 * k + (label - 1)] ?? 0;
          const got = rec?.packets[String(label)] ?? 0;
          packetsRecorded += got;
          packetsLost += Math.max(0, sent - got);
        }
      });
      const span = Math.max(1, setup.calls.length - 1);
      const sample = checkSample(
        { root: ctx.root, configFile: CONFIG, sets, workDir: dir },
        recorded,
        pickSample(setup.calls, opts.sampleSize).map((c) => ({
          index: c.index,
          answeredAtMs: c.answeredAtMs,
          endedAtMs:
            bye.endedAtMs.get(c.index) ?? byeStart + ((byeEnd - byeStart) * setup.calls.indexOf(c)) / span,
        })),
        { startMs: steady.startedAtMs, endMs: steady.endedAtMs },
      );
      let profileTop: SelfTime[] | null = null;
      if (opts.profile) {
        const profDir = join(dir, 'prof');
        const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
        // CV_BENCH_LOAD_PROFILE_OUT keeps the whole profile (for a call tree in devtools).
        const keep = process.env.CV_BENCH_LOAD_PROFILE_OUT;
        if (file !== undefined && keep !== undefined && keep !== '') copyFileSync(join(profDir, file), keep);
        if (file !== undefined)
          profileTop = topSelfTime(
            JSON.parse(readFileSync(join(profDir, file), 'utf8')) as CpuProfile,
            steady.windowUs,
            25,
          );
      }
      const { perStream: _perStream, ...senderSummary } = steady.sender;
      return {
        calls: setup.calls.length,
        setup: {
          attempted: setup.attempted,
          firstFailure: setup.firstFailure,
          elapsedMs: setup.elapsedMs,
          callsPerSecond: setup.callsPerSecond,
        },
        steady: { ...steady, sender: senderSummary },
        packetsSent: steady.sender.packetsSent,
        packetsRecorded,
        packetsLost,
        streamLost: recorded.lost,
        streamLate: recorded.late,
        recordings: recorded.recordings,
        rssIdleBytes,
        rssAfterSetupBytes,
        rssTeardownMaxBytes,
        setupCpuMsPerCall,
        idleCpuShare,
        idleMainThreadCpuShare,
        ...watched,
        scrapeSetupP50Ms,
        scrapeSetupMaxMs,
        activeCallsDuringSteadyState: promValue(metrics, 'callvault_calls_active'),
        memoryAfterSteadyStateMiB: {
          heapUsed: (promValue(metrics, 'callvault_process_nodejs_heap_size_used_bytes') ?? 0) / 2 ** 20,
          heapTotal: (promValue(metrics, 'callvault_process_nodejs_heap_size_total_bytes') ?? 0) / 2 ** 20,
          external: (promValue(metrics, 'nodejs_external_memory_bytes') ?? 0) / 2 ** 20,
        },
        byeFailed: bye.failed,
        daemonExit,
        sample,
        profileTop,
      };
    });
  } finally {
    await client?.close();
    await stopPinned(daemon, 'SIGKILL', 5000);
  }
}
