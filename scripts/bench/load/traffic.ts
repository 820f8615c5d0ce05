/**
 * The steady-state phase shared by every receiver under test: writes the sender's plan, runs
 * the C sender on its own core for a bounded time and, meanwhile, samples the receiver's CPU
 * time (after a warm-up) and RSS from /proc. The same function drives our daemon, the C
 * baseline and rtpengine, so their figures come from identical traffic and windows.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import {
  cpuSplit,
  mainThreadCpuSeconds,
  rssBytes,
  runToEnd,
  startPinned,
  threadCpuSeconds,
} from './procs.js';
import { dropsOnPorts, parseProcNetUdp } from './observe.js';
import { LoadBenchError, BENCH_CHILD_FAILED } from './errors.js';
import { sleep } from '../../../test/helpers/until.js';

export interface PlannedStream {
  readonly port: number;
  readonly toneHz: number;
}

export interface SenderReport {
  readonly streams: number;
  readonly packetsSent: number;
  readonly sendErrors: number;
  readonly elapsedSeconds: number;
  readonly latenessUs: {
    readonly mean: number;
    readonly p50: number;
    readonly p99: number;
    readonly p999: number;
    readonly max: number;
  };
  readonly overruns: number;
  readonly ticks: number;
  readonly cpuUserSeconds: number;
  readonly cpuSystemSeconds: number;
  readonly perStream: readonly number[];
}

export interface SteadyState {
  readonly sender: SenderReport;
  /** Receiver CPU seconds over the measured window (warm-up excluded). */
  readonly cpuSeconds: number;
  /** Share of cpuSeconds spent in the kernel (system time): syscalls and socket work. */
  readonly cpuSystemShare: number;
  /** Share of cpuSeconds spent on the main thread (the event loop); the rest is pool/GC threads. */
  readonly cpuMainThreadShare: number;
  /** The busiest other threads' CPU seconds in the window (libuv pool, V8 helpers), largest first. */
  readonly cpuOtherThreadsTop: readonly number[];
  readonly windowSeconds: number;
  /** cpuSeconds ÷ windowSeconds: the share of one core the receiver used. */
  readonly cpuShare: number;
  /** Receiver CPU per packet sent inside the window (µs); robust to a sender that fell behind. */
  readonly cpuUsPerPacket: number;
  /** Packets/s the sender achieved, and whether it kept its schedule (within 5 % + 0.5 s of plan). */
  readonly sentPerSecond: number;
  readonly senderKeptPace: boolean;
  readonly rssMaxBytes: number;
  /** Kernel receive-buffer drops on the plan's ports, read right after the sender stopped. */
  readonly kernelDrops: number;
  /** Date.now() at the sender's start and end (for placing audio in a recording). */
  readonly startedAtMs: number;
  readonly endedAtMs: number;
  /** process.hrtime (µs) of the measured window, for cutting a CPU profile to it. */
  readonly windowUs: { readonly fromUs: number; readonly toUs: number };
}

export function writePlan(path: string, streams: readonly PlannedStream[]): void {
  writeFileSync(path, `# port tone_hz\n${streams.map((s) => `${s.port} ${s.toneHz}`).join('\n')}\n`);
}

const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

export async function steadyState(o: {
  senderBin: string;
  senderCore: number | null;
  planPath: string;
  reportPath: string;
  streams: readonly PlannedStream[];
  seconds: number;
  warmupSeconds: number;
  /** The receiver under test. */
  pid: number;
}): Promise<SteadyState> {
  const startedAtMs = Date.now();
  const proc = startPinned(o.senderCore, o.senderBin, [
    '-p',
    o.planPath,
    '-d',
    String(o.seconds),
    '-r',
    o.reportPath,
  ]);
  // The sender never skips packets: when loopback delivery cannot keep up it runs late, so it
  // gets three times its plan before it is killed (and the run is then reported as failed).
  const senderDone = runToEnd(proc, (3 * o.seconds + 30) * 1000);
  let finished = false;
  void senderDone.then(() => (finished = true));
  // The sender starts its clock ~40 ms after spawn; warm-up covers first-packet work (latching, allocation).
  const warmEnd = Date.now() + 40 + o.warmupSeconds * 1000;
  let rssMax = rssBytes(o.pid);
  while (!finished && Date.now() < warmEnd) {
    await sleep(Math.min(100, Math.max(1, warmEnd - Date.now())));
    rssMax = Math.max(rssMax, rssBytes(o.pid));
  }
  const split0 = cpuSplit(o.pid);
  const main0 = mainThreadCpuSeconds(o.pid);
  const threads0 = threadCpuSeconds(o.pid);
  const cpu0 = split0.user + split0.system;
  const fromUs = nowUs();
  while (!finished) {
    await sleep(250);
    rssMax = Math.max(rssMax, rssBytes(o.pid));
  }
  const split1 = cpuSplit(o.pid);
  const main1 = mainThreadCpuSeconds(o.pid);
  const threads1 = threadCpuSeconds(o.pid);
  const cpu1 = split1.user + split1.system;
  const toUs = nowUs();
  const endedAtMs = Date.now();
  const ports = new Set(o.streams.map((s) => s.port));
  const kernelDrops = dropsOnPorts(parseProcNetUdp(readFileSync('/proc/net/udp', 'utf8')), ports);
  const { code, output } = await senderDone;
  if (code !== 0)
    throw new LoadBenchError(BENCH_CHILD_FAILED, 'rtp-sender failed', {
      context: { code: String(code), output: output.slice(-1000) },
    });
  const sender = JSON.parse(readFileSync(o.reportPath, 'utf8')) as SenderReport;
  const windowSeconds = (toUs - fromUs) / 1e6;
  const sentPerSecond = sender.elapsedSeconds > 0 ? sender.packetsSent / sender.elapsedSeconds : 0;
  const inWindow = sentPerSecond * windowSeconds;
  return {
    sender,
    cpuSeconds: cpu1 - cpu0,
    cpuSystemShare: cpu1 - cpu0 > 0 ? (split1.system - split0.system) / (cpu1 - cpu0) : 0,
    cpuMainThreadShare: cpu1 - cpu0 > 0 ? (main1 - main0) / (cpu1 - cpu0) : 0,
    cpuOtherThreadsTop: [...threads1]
      .filter(([tid]) => tid !== o.pid)
      .map(([tid, sec]) => +(sec - (threads0.get(tid) ?? 0)).toFixed(2))
      .sort((a, b) => b - a)
      .slice(0, 6),
    windowSeconds,
    cpuShare: windowSeconds > 0 ? (cpu1 - cpu0) / windowSeconds : 0,
    cpuUsPerPacket: inWindow > 0 ? ((cpu1 - cpu0) * 1e6) / inWindow : 0,
    sentPerSecond,
    senderKeptPace: sender.elapsedSeconds <= o.seconds * 1.05 + 0.5 && sender.sendErrors === 0,
    rssMaxBytes: rssMax,
    kernelDrops,
    startedAtMs,
    endedAtMs,
    windowUs: { fromUs, toUs },
  };
}
