/**
 * Media path benchmark. Two parts, each with its baseline measured in the same run:
 *  1. In-process (no sockets): packets/s through parseRtp + StreamTimeline.push + a read per
 *     20 ms tick per stream (µ-law decode), against a loop that only reads every byte of the
 *     same Buffers. The ratio is what our JavaScript costs on top of touching the data.
 *  2. Loopback: a child process sends N streams × 50 packets/s to 127.0.0.1 for a few seconds;
 *     this process receives them through createMediaReceiver, reads every stream each 20 ms,
 *     and reports received/lost and its own CPU time per packet (the sender's CPU is not ours).
 * Run: npx tsx scripts/bench/media-bench.ts  (env CV_BENCH_MEDIA_STREAMS, CV_BENCH_MEDIA_SECONDS)
 */
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { silentLogger } from '../../agent/src/common/index.js';
import {
  DEFAULT_PAYLOAD_TYPES,
  StreamTimeline,
  buildRtpPacket,
  createMediaReceiver,
  createRtpHeader,
  encodeUlaw,
  parseRtp,
  type AllocatedStream,
} from '../../agent/src/media/index.js';
import { fmt, row, type BenchRow, type Benchmark } from './bench.js';

export interface MediaBenchOptions {
  readonly streams?: number;
  readonly seconds?: number;
  readonly inProcessPackets?: number;
}

export interface MediaBenchResult {
  readonly baselinePacketsPerSec: number;
  readonly pipelinePacketsPerSec: number;
  readonly pipelineUsPerPacket: number;
  readonly baselineUsPerPacket: number;
  readonly loopbackStreams: number;
  readonly loopbackSeconds: number;
  readonly loopbackSent: number;
  readonly loopbackReceived: number;
  readonly loopbackLost: number;
  readonly loopbackCpuUsPerPacket: number;
  readonly loopbackCpuShareOfCore: number;
}

const TICK_MS = 20;

function makePackets(streams: number, perStream: number): Buffer[][] {
  const payload = encodeUlaw(Int16Array.from({ length: 160 }, (_, i) => Math.round(8000 * Math.sin(i / 3))));
  const out: Buffer[][] = [];
  for (let s = 0; s < streams; s++) {
    const list: Buffer[] = [];
    for (let k = 0; k < perStream; k++)
      list.push(
        buildRtpPacket({ payloadType: 0, seq: k & 0xffff, timestamp: k * 160, ssrc: s + 1, payload }),
      );
    out.push(list);
  }
  return out;
}

function inProcess(
  total: number,
): Pick<
  MediaBenchResult,
  'baselinePacketsPerSec' | 'pipelinePacketsPerSec' | 'pipelineUsPerPacket' | 'baselineUsPerPacket'
> {
  const streams = 100;
  const perStream = Math.max(50, Math.floor(total / streams));
  const packets = makePackets(streams, perStream);
  const n = streams * perStream;

  let t0 = process.hrtime.bigint();
  let sink = 0;
  for (let k = 0; k < perStream; k++) {
    for (let s = 0; s < streams; s++) {
      const b = packets[s]![k]!;
      for (let i = 0; i < b.length; i++) sink += b[i]!;
    }
  }
  const baselineNs = Number(process.hrtime.bigint() - t0);

  const origin = 0;
  const timelines = Array.from(
    { length: streams },
    () => new StreamTimeline({ originMs: origin, payloadTypes: DEFAULT_PAYLOAD_TYPES }),
  );
  const h = createRtpHeader();
  t0 = process.hrtime.bigint();
  for (let k = 0; k < perStream; k++) {
    const now = origin + k * TICK_MS;
    for (let s = 0; s < streams; s++) {
      const b = packets[s]![k]!;
      if (parseRtp(b, b.length, h) === null) timelines[s]!.push(h, b, now);
    }
    for (let s = 0; s < streams; s++) sink += timelines[s]!.read(now).length;
  }
  const pipelineNs = Number(process.hrtime.bigint() - t0);
  if (sink === -1) process.stderr.write('unreachable\n');
  return {
    baselinePacketsPerSec: n / (baselineNs / 1e9),
    pipelinePacketsPerSec: n / (pipelineNs / 1e9),
    baselineUsPerPacket: baselineNs / 1000 / n,
    pipelineUsPerPacket: pipelineNs / 1000 / n,
  };
}

/** The sender runs as plain JS in a child so its CPU time is not counted as ours. */
const SENDER = `
import { createSocket } from 'node:dgram';
const [portsArg, secondsArg] = process.argv.slice(1);
const ports = portsArg.split(',').map(Number);
const ticks = Math.round(Number(secondsArg) * 50);
const sock = createSocket('udp4');
sock.bind(0, '127.0.0.1', () => {
  const pkts = ports.map((_, s) => { const b = Buffer.alloc(172, 0xff); b[0] = 0x80; b[1] = 0; b.writeUInt32BE(s + 1, 8); return b; });
  let tick = 0;
  let sent = 0;
  const start = Date.now();
  const step = () => {
    for (let s = 0; s < ports.length; s++) {
      const b = Buffer.from(pkts[s]);
      b.writeUInt16BE(tick & 0xffff, 2);
      b.writeUInt32BE((tick * 160) >>> 0, 4);
      sock.send(b, ports[s], '127.0.0.1');
      sent++;
    }
    tick++;
    if (tick >= ticks) { setTimeout(() => { process.stdout.write(String(sent)); sock.close(); }, 200); return; }
    setTimeout(step, Math.max(0, start + tick * 20 - Date.now()));
  };
  step();
});
`;

async function loopback(
  streams: number,
  seconds: number,
): Promise<
  Omit<
    MediaBenchResult,
    'baselinePacketsPerSec' | 'pipelinePacketsPerSec' | 'pipelineUsPerPacket' | 'baselineUsPerPacket'
  >
> {
  const low = 30000 + 2 * Math.floor(Math.random() * 5000);
  const rx = await createMediaReceiver({
    portRange: { low, high: low + streams * 2 + 200 },
    log: silentLogger(),
  });
  try {
    const allocated: AllocatedStream[] = [];
    for (let i = 0; i < streams; i++) allocated.push(await rx.allocate(`s${i}`));
    const reader = setInterval(() => {
      const now = Date.now();
      for (const a of allocated) a.stream.read(now);
    }, TICK_MS);
    const cpu0 = process.cpuUsage();
    const wall0 = process.hrtime.bigint();
    const child = spawn(
      process.execPath,
      ['--input-type=module', '-e', SENDER, allocated.map((a) => a.rtpPort).join(','), String(seconds)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const guard = setTimeout(
        () => {
          child.kill();
          reject(new Error('sender did not finish'));
        },
        (seconds + 20) * 1000,
      );
      child.on('exit', () => {
        clearTimeout(guard);
        resolve();
      });
    });
    clearInterval(reader);
    const cpu = process.cpuUsage(cpu0);
    const wallUs = Number(process.hrtime.bigint() - wall0) / 1000;
    const sent = Number(out);
    const received = allocated.reduce((n, a) => n + a.stream.stats().packets, 0);
    const cpuUs = cpu.user + cpu.system;
    return {
      loopbackStreams: streams,
      loopbackSeconds: seconds,
      loopbackSent: sent,
      loopbackReceived: received,
      loopbackLost: sent - received,
      loopbackCpuUsPerPacket: received > 0 ? cpuUs / received : Number.NaN,
      loopbackCpuShareOfCore: cpuUs / wallUs,
    };
  } finally {
    await rx.close();
  }
}

export async function runMediaBench(opts: MediaBenchOptions = {}): Promise<MediaBenchResult> {
  const streams = opts.streams ?? Number(process.env['CV_BENCH_MEDIA_STREAMS'] ?? 100);
  const seconds = opts.seconds ?? Number(process.env['CV_BENCH_MEDIA_SECONDS'] ?? 10);
  // Warm-up so both loops run optimised code.
  inProcess(20_000);
  const ip = inProcess(opts.inProcessPackets ?? 500_000);
  const lb = await loopback(Math.min(Math.max(1, streams), 1000), Math.min(Math.max(1, seconds), 30));
  return { ...ip, ...lb };
}

export const bench: Benchmark = {
  name: 'media',
  async run() {
    const r = await runMediaBench();
    const rows: BenchRow[] = [
      row(
        'parse+jitter buffer+µ-law decode, packets/s (one core, no sockets)',
        fmt(r.pipelinePacketsPerSec, 0),
        {
          baseline: `${fmt(r.baselinePacketsPerSec, 0)} (byte-touching loop)`,
          ratio: fmt(r.pipelinePacketsPerSec / r.baselinePacketsPerSec, 2),
        },
      ),
    ];
    for (const [k, v] of Object.entries(r)) {
      if (typeof v === 'number' && !['pipelinePacketsPerSec', 'baselinePacketsPerSec'].includes(k))
        rows.push(row(k, fmt(v, 2)));
    }
    return { rows };
  },
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await runMediaBench();
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
}
