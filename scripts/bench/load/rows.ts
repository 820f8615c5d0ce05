/** docs/benchmarks.md rows of the load benchmark (kept apart: load-bench.ts is near its size limit). */
import { fmt, row, type BenchRow } from '../bench.js';
import type { LoadBenchResult } from '../load-bench.js';

/** A figure that may be missing (no rtpengine, a skipped phase): `n/a` then. */
const n = (v: number | null, d = 2): string => (v === null ? 'n/a' : fmt(v, d));

export function loadRows(r: LoadBenchResult): BenchRow[] {
  const runs = r.baselineCpuUsPerPacketRuns.map((x) => fmt(x, 2)).join(' / ');
  return [
    row('largest N calls with 0 lost packets (bounded search)', n(r.concurrencyZeroLoss, 0)),
    row('CPU µs per packet at the load point (ours)', n(r.oursCpuUsPerPacket), {
      baseline: `${n(r.baselineCpuUsPerPacket)} (C epoll+recvmmsg; runs before/after ours: ${runs})`,
      ratio: n(r.efficiency),
      target: 'efficiency ≥ 0.6',
    }),
    row('rtpengine record-only CPU µs per packet (peer)', n(r.peerCpuUsPerPacket), {
      baseline: `${n(r.baselineCpuUsPerPacket)} (C)`,
      ratio: n(r.peerEfficiency),
    }),
    row('packets lost at the load point', n(r.packetsLost, 0), {
      baseline: `${n(r.packetsSent, 0)} sent`,
      target: '0',
    }),
    row('calls per fully used core (VoIPmonitor ≈ 417)', n(r.oursCallsPerCore, 0)),
    row('RSS MiB max', n(r.rssMaxMiB, 0), {
      baseline: `${n(r.rssIdleMiB, 0)} idle`,
      target: '≤ 250',
    }),
    row('RSS MiB max while every call ends at once', n(r.rssTeardownMaxMiB, 0), { target: '≤ 250' }),
    row(
      'ArrayBuffer MiB max / audio waiting for the disk MiB max (per scrape)',
      `${n(r.externalMaxMiB, 0)} / ${n(r.writeBacklogMaxMiB, 1)}`,
    ),
    row(
      'metrics scrape ms at the load point (curl), median / worst of one a second',
      `${n(r.scrapeP50Ms, 0)} / ${n(r.scrapeMaxMs, 0)}`,
      { target: '≤ 50' },
    ),
    row(
      'metrics scrape ms while the calls are set up (curl), median / worst of four a second',
      `${n(r.ours.scrapeSetupP50Ms, 0)} / ${n(r.ours.scrapeSetupMaxMs, 0)}`,
      { target: '≤ 50' },
    ),
    row('call setups/s at the load point', n(r.setupCallsPerSecond, 0), { target: '≥ 200' }),
    row('sampled recordings correct', `${n(r.sampleOk, 0)} / ${n(r.sampleChecked, 0)}`, {
      target: 'all',
    }),
  ];
}
