/**
 * The same traffic against the yardstick (the C baseline receiver) and the peer (rtpengine
 * in record-only mode), on the same core and with the same sender. Every child is stopped in
 * `finally`.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildC,
  rssBytes,
  runToEnd,
  startPinned,
  stopPinned,
  withDeadline,
  waitForOutput,
  type Pinned,
} from './procs.js';
import { steadyState, writePlan, type PlannedStream, type SteadyState } from './traffic.js';
import {
  pcapTotals,
  rtpengineCall,
  startRtpengineReady,
  type NgClient,
  type RtpengineCall,
} from './rtpengine.js';
import type { RunContext } from './run-ours.js';

type SteadySummary = Omit<SteadyState, 'sender' | 'windowUs'> & {
  readonly packetsSent: number;
  readonly senderElapsedSeconds: number;
  readonly senderLatenessP99Us: number;
};

export interface BaselineRun {
  readonly streams: number;
  readonly steady: SteadySummary;
  readonly packetsReceived: number;
}

function summary(s: SteadyState): SteadySummary {
  const { sender, windowUs: _w, ...rest } = s;
  return {
    ...rest,
    packetsSent: sender.packetsSent,
    senderElapsedSeconds: sender.elapsedSeconds,
    senderLatenessP99Us: sender.latenessUs.p99,
  };
}

/** Runs the baseline receiver on the ports of `streams` (they must be free now). */
export async function runBaseline(
  ctx: RunContext,
  streams: readonly PlannedStream[],
  seconds: number,
): Promise<BaselineRun> {
  const dir = mkdtempSync(join(ctx.workDir, 'baseline-'));
  const bin = buildC(ctx.root, join(ctx.root, '.bench'), 'baseline-receiver');
  const planPath = join(dir, 'plan.txt');
  writePlan(planPath, streams);
  let rx = null as Pinned | null;
  try {
    return await withDeadline('baseline', (3 * seconds + 90) * 1000, async () => {
      rx = startPinned(ctx.receiverCore, bin, [
        '-p',
        planPath,
        '-t',
        String(seconds + 120),
        '-r',
        join(dir, 'receiver.json'),
      ]);
      await waitForOutput(rx, /^ready \d+/m, 30_000);
      const steady = await steadyState({
        senderBin: ctx.senderBin,
        senderCore: ctx.senderCore,
        planPath,
        reportPath: join(dir, 'sender.json'),
        streams,
        seconds,
        warmupSeconds: ctx.warmupSeconds,
        pid: rx.pid,
      });
      // Let the last packets drain before asking for the count.
      await new Promise((r) => setTimeout(r, 200));
      const done = rx;
      rx = null;
      done.child.kill('SIGTERM');
      await runToEnd(done, 10_000);
      const report = JSON.parse(readFileSync(join(dir, 'receiver.json'), 'utf8')) as { packets: number };
      return { streams: streams.length, steady: summary(steady), packetsReceived: report.packets };
    });
  } finally {
    await stopPinned(rx, 'SIGKILL', 5000);
  }
}

export interface PeerRun {
  readonly calls: number;
  readonly setupCallsPerSecond: number;
  readonly setupFailure: string | null;
  readonly steady: SteadySummary;
  readonly rssIdleBytes: number;
  readonly pcapFiles: number;
  readonly pcapBytes: number;
  readonly packetsRecorded: number;
  readonly packetsLost: number;
}

/** rtpengine record-only with N calls; the caller tone/agent tone assignment matches ours. */
export async function runRtpengine(
  ctx: RunContext,
  n: number,
  seconds: number,
  tones: (index: number, label: 1 | 2) => number,
): Promise<PeerRun> {
  const dir = mkdtempSync(join(ctx.workDir, 'rtpengine-'));
  let proc = null as Pinned | null;
  let ng = null as NgClient | null;
  try {
    return await withDeadline(`rtpengine N=${n}`, (3 * seconds + 240) * 1000, async () => {
      const up = await startRtpengineReady(
        {
          core: ctx.receiverCore,
          portMin: 30000,
          portMax: 59999,
          recordingDir: join(dir, 'rec'),
        },
        (started, client) => {
          proc = started;
          ng = client;
        },
      );
      const p = up.proc;
      const rssIdleBytes = rssBytes(p.pid);
      ctx.log(`rtpengine N=${n}: setting up calls`);
      const calls: RtpengineCall[] = [];
      let failure: string | null = null;
      let next = 0;
      const started = process.hrtime.bigint();
      const client = up.ng;
      const worker = async (): Promise<void> => {
        while (next < n && failure === null) {
          const i = next++;
          try {
            calls.push(await rtpengineCall(client, i));
          } catch (err) {
            failure ??= (err as { code?: string }).code ?? String(err);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(ctx.setupWindow, n) }, worker));
      const setupS = Number(process.hrtime.bigint() - started) / 1e9;
      calls.sort((a, b) => a.index - b.index);
      const streams: PlannedStream[] = calls.flatMap((c) => [
        { port: c.ports[0]!, toneHz: tones(c.index, 1) },
        { port: c.ports[1]!, toneHz: tones(c.index, 2) },
      ]);
      const planPath = join(dir, 'plan.txt');
      writePlan(planPath, streams);
      const steady = await steadyState({
        senderBin: ctx.senderBin,
        senderCore: ctx.senderCore,
        planPath,
        reportPath: join(dir, 'sender.json'),
        streams,
        seconds,
        warmupSeconds: ctx.warmupSeconds,
        pid: p.pid,
      });
      // Delete closes the pcap files (flushes them); bounded by the per-command timeout.
      let k = 0;
      await Promise.all(
        Array.from({ length: Math.min(ctx.setupWindow, calls.length) }, async () => {
          while (k < calls.length)
            await client.command({ command: 'delete', 'call-id': calls[k++]!.callId }).catch(() => undefined);
        }),
      );
      await client.close();
      ng = null;
      await stopPinned(p, 'SIGTERM', 20_000);
      proc = null;
      // Raw pcap: IPv4 (20) + UDP (8) + RTP (12 + 160) per packet.
      const pcap = pcapTotals(join(dir, 'rec'), 200);
      return {
        calls: calls.length,
        setupCallsPerSecond: calls.length / setupS,
        setupFailure: failure,
        steady: summary(steady),
        rssIdleBytes,
        pcapFiles: pcap.files,
        pcapBytes: pcap.bytes,
        packetsRecorded: pcap.packets,
        packetsLost: Math.max(0, steady.sender.packetsSent - pcap.packets),
      };
    });
  } finally {
    await ng?.close();
    await stopPinned(proc, 'SIGKILL', 5000);
  }
}
