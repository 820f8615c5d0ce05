/**
 * Media totals of the whole daemon, by side of the call (customer, agent, other), for metrics.
 *
 * Packet counters must move while calls run (a monitoring system must see RTP stop on a trunk
 * before the calls end), yet nothing may happen per packet. So the totals are not pushed: live
 * streams are registered here and summed on demand (a scrape) with RtpStream.addCountsTo — a
 * few field reads each, also for packets the native reader took without JavaScript. A stream's
 * final counts are folded into the retired totals when its call ends, so they never go back.
 *
 * At call end the recorder also reports the call's media verdict (no media, one-way) and each
 * stream's quality; those are plain counters here and a `streamended` event for histograms.
 */
import { TypedEmitter } from '../common/index.js';
import { createMediaCounts, type MediaCounts } from './stats.js';
import type { RtpStream, RtpStreamStats } from './stream.js';

export type MediaSide = 'customer' | 'agent' | 'other';
export const MEDIA_SIDES: readonly MediaSide[] = ['customer', 'agent', 'other'];

/**
 * Why a stream carried no RTP, from what did reach its ports: `no_packets` (nothing: a firewall,
 * NAT or a wrong c= address — the classic SIPREC fault), `rtcp_only` (RTCP but no RTP: the SBC
 * forks reports but the media path is blocked or never started), `dropped` (datagrams came but
 * every one was dropped: wrong source, unknown payload type, not RTP).
 */
export type SilentReason = 'no_packets' | 'rtcp_only' | 'dropped';
export const SILENT_REASONS: readonly SilentReason[] = ['no_packets', 'rtcp_only', 'dropped'];

export type MediaVerdict =
  | { readonly kind: 'ok' }
  | { readonly kind: 'no_media'; readonly reason: SilentReason }
  | { readonly kind: 'one_way'; readonly silentSide: MediaSide; readonly reason: SilentReason };

export interface EndedStream {
  readonly side: MediaSide;
  readonly stats: RtpStreamStats;
}

function silentReason(st: RtpStreamStats): SilentReason {
  let dropped = 0;
  for (const n of Object.values(st.drops)) dropped += n;
  if (dropped > 0) return 'dropped';
  return st.rtcp.packets > 0 ? 'rtcp_only' : 'no_packets';
}

/** The reason that says most: dropped datagrams beat RTCP beat nothing at all. */
function strongest(reasons: readonly SilentReason[]): SilentReason {
  if (reasons.includes('dropped')) return 'dropped';
  return reasons.includes('rtcp_only') ? 'rtcp_only' : 'no_packets';
}

/**
 * No RTP packet accepted on any stream → no_media; on some streams but not all → one_way (the
 * silent side, `other` when silent streams belong to different sides). A single-stream call
 * can only be ok or no_media.
 */
export function mediaVerdict(streams: readonly EndedStream[]): MediaVerdict {
  const silent = streams.filter((s) => s.stats.packets === 0);
  if (silent.length === 0) return { kind: 'ok' };
  const reason = strongest(silent.map((s) => silentReason(s.stats)));
  if (silent.length === streams.length) return { kind: 'no_media', reason };
  const sides = new Set(silent.map((s) => s.side));
  const silentSide = sides.size === 1 ? silent[0]!.side : 'other';
  return { kind: 'one_way', silentSide, reason };
}

export type MediaTotalsEvents = {
  /** A recorded call's stream ended (once per stream per call; for quality histograms). */
  streamended: [side: MediaSide, stats: RtpStreamStats];
};

export class MediaTotals extends TypedEmitter<MediaTotalsEvents> {
  readonly #live = new Map<RtpStream, MediaSide>();
  readonly #retired = new Map<MediaSide, MediaCounts>(MEDIA_SIDES.map((s) => [s, createMediaCounts()]));
  readonly #sum = new Map<MediaSide, MediaCounts>(MEDIA_SIDES.map((s) => [s, createMediaCounts()]));
  readonly #noMedia = new Map<SilentReason, number>(SILENT_REASONS.map((r) => [r, 0]));
  /** Keyed `side:reason`. */
  readonly #oneWay = new Map<string, number>();

  /** Starts counting a stream (a call started). */
  track(stream: RtpStream, side: MediaSide): void {
    this.#live.set(stream, side);
  }

  /** Folds a stream's final counts into the retired totals (its call ended); idempotent. */
  retire(stream: RtpStream): void {
    const side = this.#live.get(stream);
    if (side === undefined) return;
    this.#live.delete(stream);
    stream.addCountsTo(this.#retired.get(side)!);
  }

  /** A recorded call ended: counts its verdict and reports each stream's quality. */
  callEnded(streams: readonly EndedStream[], verdict: MediaVerdict): void {
    if (verdict.kind === 'no_media')
      this.#noMedia.set(verdict.reason, this.#noMedia.get(verdict.reason)! + 1);
    if (verdict.kind === 'one_way') {
      const key = `${verdict.silentSide}:${verdict.reason}`;
      this.#oneWay.set(key, (this.#oneWay.get(key) ?? 0) + 1);
    }
    for (const s of streams) this.safeEmit(undefined, 'streamended', s.side, s.stats);
  }

  /** Running totals per side: retired streams plus every live one, summed now. */
  totals(): ReadonlyMap<MediaSide, Readonly<MediaCounts>> {
    for (const side of MEDIA_SIDES) Object.assign(this.#sum.get(side)!, this.#retired.get(side)!);
    for (const [stream, side] of this.#live) stream.addCountsTo(this.#sum.get(side)!);
    return this.#sum;
  }

  get liveStreams(): number {
    return this.#live.size;
  }

  /** Calls recorded with no RTP on any stream, by reason. */
  noMediaCalls(): ReadonlyMap<SilentReason, number> {
    return this.#noMedia;
  }

  /** Calls recorded with RTP on some streams only, by silent side and reason. */
  oneWayCalls(): ReadonlyArray<{ side: MediaSide; reason: SilentReason; calls: number }> {
    return [...this.#oneWay].map(([key, calls]) => {
      const [side, reason] = key.split(':') as [MediaSide, SilentReason];
      return { side, reason, calls };
    });
  }
}
