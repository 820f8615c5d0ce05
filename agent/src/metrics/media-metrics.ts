/**
 * RTP and call-media metrics. Packet counters are summed from the live streams at scrape time
 * (MediaTotals.totals(): a few field reads per stream, no event per packet), so they move while
 * calls run; quality histograms are observed once per stream when its call ends.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import { MEDIA_SIDES, SILENT_REASONS, type MediaCounts, type MediaTotals } from '../media/index.js';
import { follow } from './follow.js';

/** Interarrival jitter (s): G.711 over a good LAN is < 5 ms; > 50 ms is audible. */
const JITTER_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2];
/** MOS (1–4.5): ≥ 4 good, 3.6–4 fair, < 3.1 most users dissatisfied (G.107 Annex B). */
const MOS_BUCKETS = [1.5, 2, 2.5, 3, 3.1, 3.6, 4, 4.2, 4.4, 4.5];

/**
 * One scrape reads the totals four times (packets, lost, late, duplicates); summing thousands
 * of streams once per scrape is enough, so a sum is reused for this long.
 */
const TOTALS_REUSE_MS = 250;

type Totals = () => ReturnType<MediaTotals['totals']>;

function reusedTotals(media: MediaTotals): Totals {
  let at = -Infinity;
  let last: ReturnType<MediaTotals['totals']> | null = null;
  return () => {
    const now = performance.now();
    if (last === null || now - at >= TOTALS_REUSE_MS) {
      last = media.totals();
      at = now;
    }
    return last;
  };
}

function sideCounter(
  registry: Registry,
  totals: Totals,
  name: string,
  help: string,
  field: keyof MediaCounts,
): void {
  const seen = new Map<string, number>();
  new Counter({
    name,
    help,
    labelNames: ['side'] as const,
    registers: [registry],
    collect() {
      const self = this as unknown as Counter<string>;
      for (const [side, counts] of totals()) follow(self, seen, { side }, counts[field]);
    },
  });
}

export function registerMediaMetrics(registry: Registry, media: MediaTotals): void {
  const totals = reusedTotals(media);
  sideCounter(
    registry,
    totals,
    'callvault_rtp_packets_total',
    'RTP packets received and accepted, by side of the call (customer, agent, other), counted as they arrive',
    'packets',
  );
  sideCounter(
    registry,
    totals,
    'callvault_rtp_packets_lost_total',
    'RTP packets lost (RFC 3550 expected minus received), by side of the call',
    'lost',
  );
  sideCounter(
    registry,
    totals,
    'callvault_rtp_packets_late_total',
    'RTP packets that arrived after their play-out time (written as silence), by side',
    'late',
  );
  sideCounter(
    registry,
    totals,
    'callvault_rtp_packets_duplicate_total',
    'Duplicate RTP packets dropped, by side',
    'duplicates',
  );
  const noMediaSeen = new Map<string, number>();
  new Counter({
    name: 'callvault_calls_no_media_total',
    help: 'Recorded calls on which no stream carried RTP, by what reached the ports (no_packets, rtcp_only, dropped)',
    labelNames: ['reason'] as const,
    registers: [registry],
    collect() {
      const self = this as unknown as Counter<string>;
      for (const [reason, n] of media.noMediaCalls()) follow(self, noMediaSeen, { reason }, n);
    },
  });
  const oneWaySeen = new Map<string, number>();
  new Counter({
    name: 'callvault_calls_one_way_media_total',
    help: 'Recorded calls with RTP on some streams only, by the silent side and what reached its ports',
    labelNames: ['side', 'reason'] as const,
    registers: [registry],
    collect() {
      const self = this as unknown as Counter<string>;
      // Every combination from the start, so a rate() over it exists before the first fault.
      for (const side of MEDIA_SIDES)
        for (const reason of SILENT_REASONS)
          if (!oneWaySeen.has(JSON.stringify({ side, reason })))
            follow(self, oneWaySeen, { side, reason }, 0);
      for (const c of media.oneWayCalls())
        follow(self, oneWaySeen, { side: c.side, reason: c.reason }, c.calls);
    },
  });
  const jitter = new Histogram({
    name: 'callvault_rtp_jitter_seconds',
    help: 'RFC 3550 interarrival jitter of each stream that carried RTP, observed when its call ends, by side',
    labelNames: ['side'] as const,
    buckets: JITTER_BUCKETS_S,
    registers: [registry],
  });
  const mos = new Histogram({
    name: 'callvault_rtp_mos',
    help: 'MOS estimate (G.107 E-model from loss, late packets and jitter) of each stream that carried RTP, observed when its call ends, by side',
    labelNames: ['side'] as const,
    buckets: MOS_BUCKETS,
    registers: [registry],
  });
  for (const side of MEDIA_SIDES) {
    jitter.zero({ side });
    mos.zero({ side });
  }
  media.on('streamended', (side, st) => {
    // A silent stream has no jitter and no quality to speak of: it is counted as no/one-way media.
    if (st.packets === 0) return;
    jitter.observe({ side }, st.jitterMs / 1000);
    mos.observe({ side }, st.mos);
  });
}
