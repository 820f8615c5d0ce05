/**
 * A timeline's counters beyond the shared state, and its statistics as the stream reports
 * them: RFC 3550 loss and jitter summed over every source, and the E-model estimate.
 */
import { CODECS, type CodecName } from './codecs.js';
import type { FastState } from './fast-state.js';
import { estimateMos, expectedPackets, lostPackets, type DropCounters } from './stats.js';

export interface StreamStats {
  readonly packets: number;
  readonly bytes: number;
  readonly expected: number;
  /** RFC 3550 A.3 (expected − received), summed over every source the stream had. */
  readonly lost: number;
  readonly late: number;
  readonly duplicates: number;
  readonly outOfOrder: number;
  /** RFC 3550 A.8 interarrival jitter of the current source (ms). */
  readonly jitterMs: number;
  readonly rFactor: number;
  readonly mos: number;
  readonly reanchors: number;
  readonly ssrcChanges: number;
  readonly ssrc: number | null;
  /** Codec of the last audio packet, null before any. */
  readonly codec: CodecName | null;
  readonly comfortNoisePackets: number;
  readonly dtmfEvents: number;
  /** Wall-clock ms of the first and the last accepted RTP packet (null: never). */
  readonly firstPacketMs: number | null;
  readonly lastPacketMs: number | null;
  readonly drops: Readonly<DropCounters>;
}

/** Counted by the timeline in JavaScript only (the native reader never takes these packets). */
export interface TimelineCounts {
  late: number;
  duplicates: number;
  outOfOrder: number;
  reanchors: number;
  ssrcChanges: number;
  comfortNoise: number;
  /** Loss and expected packets of the sequence runs before the current one. */
  lostBefore: number;
  expectedBefore: number;
  firstPacketMs: number | null;
}

export function createTimelineCounts(): TimelineCounts {
  return {
    late: 0,
    duplicates: 0,
    outOfOrder: 0,
    reanchors: 0,
    ssrcChanges: 0,
    comfortNoise: 0,
    lostBefore: 0,
    expectedBefore: 0,
    firstPacketMs: null,
  };
}

/** What a timeline knows beyond its counters and shared state. */
export interface StreamStatsInput {
  readonly lastAudio: CodecName | null;
  readonly jitterBufferMs: number;
  readonly dtmfEvents: number;
  readonly drops: Readonly<DropCounters>;
}

export function streamStats(c: TimelineCounts, st: FastState, input: StreamStatsInput): StreamStats {
  const expected = c.expectedBefore + expectedPackets(st);
  const lost = c.lostBefore + lostPackets(st);
  const codec = CODECS[input.lastAudio ?? 'PCMU'];
  const jitterMs = (st.jitter * 1000) / codec.clockRate;
  const lossRatio = expected > 0 ? Math.min(1, (lost + c.late) / expected) : 0;
  // Mouth-to-ear delay is not observable here; approximate it by what we add (play-out
  // delay, one 20 ms packet) plus twice the measured jitter as network variation.
  const { rFactor, mos } = estimateMos({
    ie: codec.ie,
    bpl: codec.bpl,
    lossRatio,
    oneWayDelayMs: input.jitterBufferMs + 20 + 2 * jitterMs,
  });
  return Object.freeze({
    packets: st.packets,
    bytes: st.bytes,
    expected,
    lost,
    late: c.late,
    duplicates: c.duplicates,
    outOfOrder: c.outOfOrder,
    jitterMs: Math.round(jitterMs * 1000) / 1000,
    rFactor,
    mos,
    reanchors: c.reanchors,
    ssrcChanges: c.ssrcChanges,
    ssrc: st.hasSource ? st.ssrc : null,
    codec: input.lastAudio,
    comfortNoisePackets: c.comfortNoise,
    dtmfEvents: input.dtmfEvents,
    firstPacketMs: c.firstPacketMs,
    lastPacketMs: st.lastPacketMs,
    drops: Object.freeze({ ...input.drops }),
  });
}
