/**
 * `make bench`: runs every benchmark in this process tree, prints a table, and rewrites
 * docs/benchmarks.md with the date, the machine and the command that reproduces the figures.
 * Each benchmark reports its own baseline measured in the same run, so ratios stay meaningful
 * on a shared, noisy machine.
 */
import { writeFileSync, existsSync } from 'node:fs';
import { cpus, totalmem, hostname, loadavg } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface BenchRow {
  readonly bench: string;
  readonly metric: string;
  readonly value: string;
  readonly baseline: string;
  readonly ratio: string;
  readonly target: string;
}

interface BenchModule {
  readonly title: string;
  readonly file: string;
  readonly run: (mod: Record<string, unknown>) => Promise<BenchRow[]>;
}

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

const fmt = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

const BENCHES: BenchModule[] = [
  {
    title: 'vault',
    file: 'vault-bench.ts',
    run: async (mod) => {
      type Leg = { mbPerS: number; xRealTime: number };
      const r = (await (mod['runVaultBench'] as () => Promise<unknown>)()) as {
        audioSeconds: number;
        overheadBytesPerSegment: number;
        segmentMs: number;
        write: Leg;
        read: Leg;
        baseline: { writeMbPerS: number; readMbPerS: number };
      };
      const audio = `${r.audioSeconds / 60} min 8 kHz stereo PCM16`;
      return [
        {
          bench: 'vault',
          metric: `encrypt+write MB/s (${audio})`,
          value: fmt(r.write.mbPerS),
          baseline: `${fmt(r.baseline.writeMbPerS)} (plain fs write)`,
          ratio: fmt(r.write.mbPerS / r.baseline.writeMbPerS, 2),
          target: '',
        },
        {
          bench: 'vault',
          metric: 'encrypt+write × real time',
          value: fmt(r.write.xRealTime, 0),
          baseline: '',
          ratio: '',
          target: '≥ 2000',
        },
        {
          bench: 'vault',
          metric: 'decrypt MB/s (streaming)',
          value: fmt(r.read.mbPerS),
          baseline: `${fmt(r.baseline.readMbPerS)} (plain fs read)`,
          ratio: fmt(r.read.mbPerS / r.baseline.readMbPerS, 2),
          target: '',
        },
        {
          bench: 'vault',
          metric: 'decrypt × real time',
          value: fmt(r.read.xRealTime, 0),
          baseline: '',
          ratio: '',
          target: '≥ 2000',
        },
        {
          bench: 'vault',
          metric: `overhead bytes per ${r.segmentMs} ms segment`,
          value: fmt(r.overheadBytesPerSegment),
          baseline: '',
          ratio: '',
          target: '',
        },
      ];
    },
  },
  {
    title: 'sip',
    file: 'sip-bench.ts',
    run: async (mod) => {
      const r = (await (mod['runSipBench'] as () => Promise<Record<string, number>>)()) as Record<
        string,
        number
      >;
      return [
        {
          bench: 'sip',
          metric: 'SIPREC INVITE parse+serialize msg/s (one core)',
          value: fmt(r['messagesPerSecond']!, 0),
          baseline: '',
          ratio: '',
          target: '≥ 50000',
        },
        {
          bench: 'sip',
          metric: 'same, with multipart body split',
          value: fmt(r['withMultipartPerSecond']!, 0),
          baseline: '',
          ratio: '',
          target: '≥ 50000',
        },
      ];
    },
  },
  {
    title: 'sip-setup',
    file: 'sip-setup-bench.ts',
    run: async (mod) => {
      const r = (await (mod['runSipSetupBench'] as () => Promise<unknown>)()) as {
        highestRateWithoutFailure: number;
        transport: string;
      };
      return [
        {
          bench: 'sip',
          metric: `SIPREC call setups/s end to end, 0 failed (SIPp, ${r.transport}, 2 streams)`,
          value: fmt(r.highestRateWithoutFailure, 0),
          baseline: '',
          ratio: '',
          target: '≥ 200',
        },
      ];
    },
  },
  {
    title: 'media',
    file: 'media-bench.ts',
    run: async (mod) => {
      const r = (await (mod['runMediaBench'] as () => Promise<Record<string, number>>)()) as Record<
        string,
        number
      >;
      const rows: BenchRow[] = [
        {
          bench: 'media',
          metric: 'parse+jitter buffer+µ-law decode, packets/s (one core, no sockets)',
          value: fmt(r['pipelinePacketsPerSec']!, 0),
          baseline: `${fmt(r['baselinePacketsPerSec']!, 0)} (byte-touching loop)`,
          ratio: fmt(r['pipelinePacketsPerSec']! / r['baselinePacketsPerSec']!, 2),
          target: '',
        },
      ];
      for (const [k, v] of Object.entries(r)) {
        if (typeof v === 'number' && !['pipelinePacketsPerSec', 'baselinePacketsPerSec'].includes(k))
          rows.push({ bench: 'media', metric: k, value: fmt(v, 2), baseline: '', ratio: '', target: '' });
      }
      return rows;
    },
  },
  {
    title: 'load',
    file: 'load-bench.ts',
    run: async (mod) => {
      const opts = (mod['loadBenchOptionsFromEnv'] as () => unknown)();
      const r = (await (mod['runLoadBench'] as (o: unknown) => Promise<unknown>)(opts)) as Record<
        string,
        number | null | boolean
      >;
      const n = (k: string, d = 2): string => (typeof r[k] === 'number' ? fmt(r[k] as number, d) : 'n/a');
      const runs = (k: string): string =>
        Array.isArray(r[k]) ? (r[k] as number[]).map((x) => fmt(x, 2)).join(' / ') : 'n/a';
      return [
        {
          bench: 'load',
          metric: 'largest N calls with 0 lost packets (bounded search)',
          value: n('concurrencyZeroLoss', 0),
          baseline: '',
          ratio: '',
          target: '',
        },
        {
          bench: 'load',
          metric: 'CPU µs per packet at the load point (ours)',
          value: n('oursCpuUsPerPacket'),
          baseline: `${n('baselineCpuUsPerPacket')} (C epoll+recvmmsg; runs before/after ours: ${runs('baselineCpuUsPerPacketRuns')})`,
          ratio: n('efficiency'),
          target: 'efficiency ≥ 0.6',
        },
        {
          bench: 'load',
          metric: 'rtpengine record-only CPU µs per packet (peer)',
          value: n('peerCpuUsPerPacket'),
          baseline: `${n('baselineCpuUsPerPacket')} (C)`,
          ratio: n('peerEfficiency'),
          target: '',
        },
        {
          bench: 'load',
          metric: 'packets lost at the load point',
          value: n('packetsLost', 0),
          baseline: `${n('packetsSent', 0)} sent`,
          ratio: '',
          target: '0',
        },
        {
          bench: 'load',
          metric: 'calls per fully used core (VoIPmonitor ≈ 417)',
          value: n('oursCallsPerCore', 0),
          baseline: '',
          ratio: '',
          target: '',
        },
        {
          bench: 'load',
          metric: 'RSS MiB max',
          value: n('rssMaxMiB', 0),
          baseline: `${n('rssIdleMiB', 0)} idle`,
          ratio: '',
          target: '≤ 250',
        },
        {
          bench: 'load',
          metric: 'RSS MiB max while every call ends at once',
          value: n('rssTeardownMaxMiB', 0),
          baseline: '',
          ratio: '',
          target: '≤ 250',
        },
        {
          bench: 'load',
          metric: 'ArrayBuffer MiB max / audio waiting for the disk MiB max (per scrape)',
          value: `${n('externalMaxMiB', 0)} / ${n('writeBacklogMaxMiB', 1)}`,
          baseline: '',
          ratio: '',
          target: '',
        },
        {
          bench: 'load',
          metric: 'metrics scrape ms at the load point, median / worst of one a second',
          value: `${n('scrapeP50Ms', 0)} / ${n('scrapeMaxMs', 0)}`,
          baseline: '',
          ratio: '',
          target: '≤ 50',
        },
        {
          bench: 'load',
          metric: 'call setups/s at the load point',
          value: n('setupCallsPerSecond', 0),
          baseline: '',
          ratio: '',
          target: '≥ 200',
        },
        {
          bench: 'load',
          metric: 'sampled recordings correct',
          value: `${n('sampleOk', 0)} / ${n('sampleChecked', 0)}`,
          baseline: '',
          ratio: '',
          target: 'all',
        },
      ];
    },
  },
  {
    title: 'index',
    file: 'index-bench.ts',
    run: async (mod) => {
      const n = Number(process.env['CV_BENCH_INDEX_RECORDS'] ?? 1_000_000);
      type Lat = { p50Ms: number; p99Ms: number };
      const r = (await (mod['runIndexBench'] as (o: { records: number }) => Promise<unknown>)({
        records: n,
      })) as {
        records: number;
        insertPerSecond: number;
        openMs: number;
        diskBytesPerRecording: number;
        search: Record<'number' | 'agentTimeRange' | 'expiryToday', Lat>;
      };
      const at = `at ${r.records.toLocaleString('en')} recordings`;
      const rows: BenchRow[] = [
        {
          bench: 'index',
          metric: `batched insert/s ${at}`,
          value: fmt(r.insertPerSecond, 0),
          baseline: '',
          ratio: '',
          target: '≥ 20000',
        },
        {
          bench: 'index',
          metric: `open time ms ${at}`,
          value: fmt(r.openMs, 0),
          baseline: '',
          ratio: '',
          target: '',
        },
        {
          bench: 'index',
          metric: 'disk bytes per recording',
          value: fmt(r.diskBytesPerRecording, 0),
          baseline: '',
          ratio: '',
          target: '',
        },
      ];
      for (const [name, lat] of Object.entries(r.search)) {
        rows.push({
          bench: 'index',
          metric: `search ${name} p50 / p99 ms`,
          value: `${fmt(lat.p50Ms, 2)} / ${fmt(lat.p99Ms, 2)}`,
          baseline: '',
          ratio: '',
          target: 'p99 ≤ 50',
        });
      }
      return rows;
    },
  },
  {
    title: 'dpo',
    file: 'dpo-bench.ts',
    run: async (mod) => {
      const indexed = Number(process.env['CV_BENCH_DPO_INDEXED'] ?? 1_000_000);
      const purge = Number(process.env['CV_BENCH_DPO_PURGE'] ?? 100_000);
      const r = (await (mod['runDpoBench'] as (o: { indexed: number; purge: number }) => Promise<unknown>)({
        indexed,
        purge,
      })) as {
        indexed: number;
        subjectRecordings: number;
        dsar: { ms: number; baselineMs: number };
        purge: { recordings: number; seconds: number; baselineSeconds: number };
        stats: { ms: number; baselineMs: number };
      };
      const of = `over ${r.indexed.toLocaleString('en')} indexed`;
      return [
        {
          bench: 'dpo',
          metric: `DSAR lookup + archive of ${r.subjectRecordings} ms ${of}`,
          value: fmt(r.dsar.ms, 0),
          baseline: `${fmt(r.dsar.baselineMs, 1)} (read the containers)`,
          ratio: fmt(r.dsar.ms / r.dsar.baselineMs, 1),
          target: '≤ 2000',
        },
        {
          bench: 'dpo',
          metric: `purge of ${r.purge.recordings.toLocaleString('en')} due recordings s`,
          value: fmt(r.purge.seconds, 1),
          baseline: `${fmt(r.purge.baselineSeconds, 1)} (unlink as many plain files)`,
          ratio: fmt(r.purge.seconds / r.purge.baselineSeconds, 1),
          target: r.purge.recordings >= 100_000 ? '≤ 60' : `≤ 60 for 100 000`,
        },
        {
          bench: 'dpo',
          metric: `stats ms ${of}`,
          value: fmt(r.stats.ms, 1),
          baseline: `${fmt(r.stats.baselineMs, 0)} (full scan of the records)`,
          ratio: fmt(r.stats.ms / r.stats.baselineMs, 3),
          target: '≤ 1000',
        },
      ];
    },
  },
  {
    title: 'console',
    file: 'console-bench.ts',
    run: async (mod) => {
      type Live = {
        calls: number;
        listeners: number;
        accepted: number;
        refused: number;
        atRealTime: number;
        minShare: number;
        daemonCpuPct: number;
        callsOnlyCpuPct: number;
      };
      const r = (await (
        mod['runConsoleBench'] as (o: { records: number; listeners: number }) => Promise<unknown>
      )({
        records: Number(process.env['CV_BENCH_CONSOLE_RECORDS'] ?? 1_000_000),
        listeners: Number(process.env['CV_BENCH_CONSOLE_LISTENERS'] ?? 50),
      })) as {
        firstLoad: { kb: number; readyMs: number[]; baselineMs: number[] } | { skipped: string };
        search: {
          records: number;
          p50Ms: number;
          p99Ms: number;
          baselineP50Ms: number;
          baselineP99Ms: number;
        };
        live: Live[];
      };
      const rows: BenchRow[] = [];
      if ('skipped' in r.firstLoad) {
        rows.push({
          bench: 'console',
          metric: 'first load',
          value: r.firstLoad.skipped,
          baseline: '',
          ratio: '',
          target: '',
        });
      } else {
        const best = Math.min(...r.firstLoad.readyMs);
        const floor = Math.min(...r.firstLoad.baselineMs);
        rows.push(
          {
            bench: 'console',
            metric: 'first load KB transferred',
            value: fmt(r.firstLoad.kb),
            baseline: '',
            ratio: '',
            target: '≤ 300',
          },
          {
            bench: 'console',
            metric: `time to interactive ms, best of ${r.firstLoad.readyMs.length} (all: ${r.firstLoad.readyMs.join(' / ')})`,
            value: fmt(best, 0),
            baseline: `${fmt(floor, 0)} (one static file)`,
            ratio: fmt(best / Math.max(1, floor), 1),
            target: '≤ 1000',
          },
        );
      }
      rows.push({
        bench: 'console',
        metric: `search by number p50 / p99 ms over HTTPS at ${r.search.records.toLocaleString('en')} recordings`,
        value: `${fmt(r.search.p50Ms, 2)} / ${fmt(r.search.p99Ms, 2)}`,
        baseline: `${fmt(r.search.baselineP50Ms, 2)} / ${fmt(r.search.baselineP99Ms, 2)} (index in-process)`,
        ratio: fmt(r.search.p99Ms / r.search.baselineP99Ms, 1),
        target: 'p99 ≤ 200',
      });
      for (const l of r.live)
        rows.push({
          bench: 'console',
          metric: `${l.listeners} live listeners on ${l.calls} call(s), daemon on one core: CPU % / accepted / at real time`,
          value: `${fmt(l.daemonCpuPct)} / ${l.accepted} / ${l.atRealTime}`,
          baseline: `${fmt(l.callsOnlyCpuPct)} (CPU %, the calls with nobody listening)`,
          ratio: '',
          target: `all ${l.listeners} at real time`,
        });
      return rows;
    },
  },
];

function table(rows: readonly BenchRow[]): string {
  const head = '| bench | metric | value | baseline (same run) | ratio | target |\n|---|---|---|---|---|---|';
  return [
    head,
    ...rows.map(
      (r) => `| ${r.bench} | ${r.metric} | ${r.value} | ${r.baseline} | ${r.ratio} | ${r.target} |`,
    ),
  ].join('\n');
}

const only = process.argv.slice(2);
const loadAtStart = loadavg()[0]!.toFixed(2);
const rows: BenchRow[] = [];
for (const b of BENCHES) {
  if (only.length > 0 && !only.includes(b.title)) continue;
  const path = join(here, b.file);
  if (!existsSync(path)) continue;
  process.stderr.write(`bench: ${b.title}…\n`);
  const mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  rows.push(...(await b.run(mod)));
}
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, host ${hostname()}`;
const md = `# Benchmarks

Produced by \`make bench\` (scripts/bench/run.ts) on ${new Date().toISOString()}.
Machine: ${machine}; 1-minute load average at start ${loadAtStart} (the machine is shared: compare ratios, not absolutes).
Reproduce: \`make bench\` (or \`npx tsx scripts/bench/run.ts vault\` for one benchmark).
Baselines are measured in the same run; ratios are ours ÷ baseline.

${table(rows)}
`;
process.stdout.write(`${table(rows)}\n`);
writeFileSync(join(root, 'docs', 'benchmarks.md'), md);
