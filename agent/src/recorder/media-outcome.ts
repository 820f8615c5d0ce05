/**
 * What a call's media came to, taken once as the call ends: per-stream stats (the index's stats
 * blob), the no_media / one_way verdict, and the per-call quality stored as searchable fields
 * (seed 000: "automated analysis of calls to improve quality"). The worst stream decides the
 * quality, since a call with one bad side was a bad call; only streams that carried RTP count
 * (a silent stream is the no_media / one_way flag instead).
 */
import { mediaVerdict, type MediaSide, type MediaVerdict, type RtpStreamStats } from '../media/index.js';
import type { CallQuality } from '../index/index.js';
import type { RecordedStream } from './channels.js';

const round2 = (v: number): number => Math.round(v * 100) / 100;

export interface MediaOutcome {
  readonly ended: { readonly side: MediaSide; readonly stats: RtpStreamStats }[];
  readonly statsByLabel: Record<string, unknown>;
  readonly verdict: MediaVerdict;
  /** no_media or one_way, or none. */
  readonly flags: string[];
  readonly quality: CallQuality | null;
}

export function callQuality(streams: readonly { readonly stats: RtpStreamStats }[]): CallQuality | null {
  const live = streams.map((s) => s.stats).filter((st) => st.packets > 0);
  if (live.length === 0) return null;
  const loss = (st: RtpStreamStats): number =>
    st.expected > 0 ? (100 * Math.max(0, st.lost)) / st.expected : 0;
  return {
    mos: round2(Math.min(...live.map((st) => st.mos))),
    lossPct: round2(Math.min(100, Math.max(...live.map(loss)))),
    jitterMs: round2(Math.max(...live.map((st) => st.jitterMs))),
  };
}

/** The metrics' side of a recorded stream. */
export function mediaSide(side: RecordedStream['side']): MediaSide {
  return side === 'unknown' ? 'other' : side;
}

export function mediaOutcome(streams: readonly RecordedStream[]): MediaOutcome {
  const ended = streams.map((s) => ({ side: mediaSide(s.side), stats: s.stream.stats() }));
  const statsByLabel: Record<string, unknown> = {};
  streams.forEach((s, i) => (statsByLabel[s.label] = ended[i]!.stats));
  const verdict = mediaVerdict(ended);
  return {
    ended,
    statsByLabel,
    verdict,
    flags: verdict.kind === 'ok' ? [] : [verdict.kind],
    quality: callQuality(ended),
  };
}
