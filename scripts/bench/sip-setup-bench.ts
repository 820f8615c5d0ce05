// SIPREC call setups per second end to end: SIPp (Debian sip-tester) places short SIPREC calls
// (INVITE with Require: siprec and a multipart SDP + rs-metadata body offering 2 streams / 200 /
// ACK / 100 ms / BYE / 200, test/fixtures/sipp-daemon/uac-siprec.xml) at the real daemon on
// 127.0.0.1, in fixed-rate steps of at most 10 s each; the ramp stops at the first step with a
// failed call. Every answered call allocates 2 RTP port pairs and opens, finalises and indexes
// an encrypted recording. Target: ≥ 200 setups/s with no failed call.
// Run: npx tsx scripts/bench/sip-setup-bench.ts [udp|tcp]   (prints JSON; needs `npm run build`)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isolatedSets, startDaemon, type DaemonPorts } from '../../test/helpers/daemon.js';
import { scrape } from '../../test/helpers/daemon-watch.js';
import { runSipp } from '../../test/helpers/sipp.js';
import { fmt, row, type Benchmark } from './bench.js';
import { sleep } from '../../test/helpers/until.js';

const SCENARIO = fileURLToPath(new URL('../../test/fixtures/sipp-daemon/uac-siprec.xml', import.meta.url));

export interface SetupStep {
  /** Calls per second SIPp was asked for (-r). */
  readonly rate: number;
  readonly calls: number;
  readonly successful: number;
  readonly failed: number;
  readonly seconds: number;
  /** Successful calls ÷ wall time of the step (includes the last calls' 100 ms hold + BYE). */
  readonly achievedPerSecond: number;
  readonly sippExit: number;
}

export interface SipSetupBenchResult {
  readonly name: 'sip-call-setup';
  readonly transport: 'udp' | 'tcp';
  readonly streamsPerCall: 2;
  readonly steps: readonly SetupStep[];
  /** The highest step rate at which every call succeeded (0: none did). */
  readonly highestRateWithoutFailure: number;
  readonly targetPerSecond: 200;
  readonly pass: boolean;
}

export interface SipSetupBenchOptions {
  readonly transport?: 'udp' | 'tcp';
  /** Rates tried in order. Default 50, 100, 200, 250, 300, 400, 500. */
  readonly rates?: readonly number[];
  /** Length of a step at full rate, at most 10 s. Default 5 s. */
  readonly stepSeconds?: number;
}

function counter(screen: string, name: string): number {
  const m = new RegExp(`${name}\\s+\\|\\s+[0-9]+\\s+\\|\\s+([0-9]+)`).exec(screen);
  return Number(m?.[1] ?? 0);
}

async function step(
  ports: DaemonPorts,
  transport: 'udp' | 'tcp',
  rate: number,
  seconds: number,
): Promise<SetupStep> {
  const calls = Math.max(1, Math.round(rate * seconds));
  const args = [
    '-sf',
    SCENARIO,
    `127.0.0.1:${transport === 'udp' ? ports.sipUdp : ports.sipTcp}`,
    '-i',
    '127.0.0.1',
    '-t',
    transport === 'udp' ? 'u1' : 't1',
    '-r',
    String(rate),
    '-m',
    String(calls),
    '-l',
    String(Math.max(50, rate)),
    '-nostdin',
    '-timeout',
    `${seconds + 15}s`,
    '-timeout_error',
  ];
  const run = await runSipp(args, { killAfterMs: (seconds + 25) * 1000, keepChars: 20_000 });
  const out = run.output;
  const wall = run.wallMs / 1000;
  const successful = counter(out, 'Successful call');
  const failed = counter(out, 'Failed call') + Math.max(0, calls - successful - counter(out, 'Failed call'));
  return {
    rate,
    calls,
    successful,
    failed,
    seconds: Number(wall.toFixed(2)),
    achievedPerSecond: Math.round(successful / wall),
    sippExit: run.code,
  };
}

export async function runSipSetupBench(opts: SipSetupBenchOptions = {}): Promise<SipSetupBenchResult> {
  const transport = opts.transport ?? 'udp';
  const seconds = Math.min(10, opts.stepSeconds ?? 5);
  const work = mkdtempSync(join(tmpdir(), 'cv-setup-bench-'));
  // Below the kernel's ephemeral range, where the daemon's listeners and SIPp's ports are picked.
  const low = 10000 + 2 * Math.floor(Math.random() * 1500);
  const sets = await isolatedSets(join(work, 'storage'), [
    `media.rtp_ports=${low}-${low + 3999}`,
    'sip.rate_limit_per_second=100000',
    'log.level=info',
  ]);
  const daemon = await startDaemon(sets);
  const steps: SetupStep[] = [];
  try {
    for (const rate of opts.rates ?? [50, 100, 200, 250, 300, 400, 500]) {
      const s = await step(daemon.ports, transport, rate, seconds);
      steps.push(s);
      if (s.failed > 0 || s.sippExit !== 0) break;
      // Let the step's last calls finish their recordings before the next one starts.
      for (let t = 0; t < 100; t++) {
        if ((await scrape(daemon.ports.metrics!))['callvault_calls_active'] === 0) break;
        await sleep(100);
      }
    }
  } finally {
    await daemon.stop('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  }
  const ok = steps.filter((s) => s.failed === 0 && s.sippExit === 0);
  const highest = ok.reduce((m, s) => Math.max(m, s.rate), 0);
  return {
    name: 'sip-call-setup',
    transport,
    streamsPerCall: 2,
    steps,
    highestRateWithoutFailure: highest,
    targetPerSecond: 200,
    pass: highest >= 200,
  };
}

export const bench: Benchmark = {
  name: 'sip-setup',
  async run() {
    const r = await runSipSetupBench();
    return {
      rows: [
        row(
          `SIPREC call setups/s end to end, 0 failed (SIPp, ${r.transport}, 2 streams)`,
          fmt(r.highestRateWithoutFailure, 0),
          { target: '≥ 200' },
        ),
      ],
    };
  },
};

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const t = process.argv[2] === 'tcp' ? 'tcp' : 'udp';
  console.log(JSON.stringify(await runSipSetupBench({ transport: t }), null, 2));
}
