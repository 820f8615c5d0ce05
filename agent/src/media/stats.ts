/**
 * Per-stream quality statistics: RFC 3550 A.3 (extended sequence numbers, expected vs
 * received), A.8 (interarrival jitter) and a MOS estimate from the simplified E-model of
 * ITU-T G.107. The counters are plain numbers bumped on the packet path and copied into a
 * frozen snapshot only when someone asks (no event per packet).
 */

/** RFC 3550 A.1: a jump of at most this many is "in order with loss". */
const MAX_DROPOUT = 3000;
/** A.1: a packet at most this far behind is a reordered or duplicate packet. */
const MAX_MISORDER = 100;
const SEQ_MOD = 65536;

/** Sequence state of the current source (reset on SSRC change). */
export interface SeqState {
  started: boolean;
  maxSeq: number;
  cycles: number;
  baseExt: number;
  /** Unique packets accepted from this source. */
  received: number;
  /** A.1 probation: the seq that would confirm a restart after a big jump. */
  badSeq: number;
}

export function createSeqState(): SeqState {
  return { started: false, maxSeq: 0, cycles: 0, baseExt: 0, received: 0, badSeq: -1 };
}

/** Result codes of classifySeq(); the extended sequence number is returned through `ext`. */
export type SeqVerdict = 'first' | 'newest' | 'older' | 'jump' | 'restart';

export interface SeqResult {
  verdict: SeqVerdict;
  /** Extended (cycle-counting) sequence number of the packet, relative to this source. */
  ext: number;
}

/** Classifies one sequence number against the source's state and advances it (A.1/A.3). */
export function classifySeq(st: SeqState, seq: number, out: SeqResult): SeqResult {
  if (!st.started) {
    st.started = true;
    st.maxSeq = seq;
    st.cycles = 0;
    st.baseExt = seq;
    st.badSeq = -1;
    out.verdict = 'first';
    out.ext = seq;
    return out;
  }
  const delta = (seq - st.maxSeq + SEQ_MOD) % SEQ_MOD;
  if (delta === 0) {
    out.verdict = 'older';
    out.ext = st.cycles + seq;
  } else if (delta < MAX_DROPOUT) {
    if (seq < st.maxSeq) st.cycles += SEQ_MOD;
    st.maxSeq = seq;
    st.badSeq = -1;
    out.verdict = 'newest';
    out.ext = st.cycles + seq;
  } else if (delta <= SEQ_MOD - MAX_MISORDER) {
    // A big jump: accept it only when the next packet follows it (the sender restarted).
    if (seq === st.badSeq) {
      // The caller folds the old run into its totals and classifies this packet afresh.
      st.badSeq = -1;
      out.verdict = 'restart';
      out.ext = -1;
    } else {
      st.badSeq = (seq + 1) % SEQ_MOD;
      out.verdict = 'jump';
      out.ext = -1;
    }
  } else {
    out.verdict = 'older';
    const back = SEQ_MOD - delta;
    out.ext = st.cycles + st.maxSeq - back;
  }
  return out;
}

/** A.3: packets expected from this source so far, and the loss among them (never < 0). */
export function expectedPackets(st: SeqState): number {
  return st.started ? st.cycles + st.maxSeq - st.baseExt + 1 : 0;
}

export function lostPackets(st: SeqState): number {
  const lost = expectedPackets(st) - st.received;
  return lost > 0 ? lost : 0;
}

/** A.8 state; transit and jitter are in RTP timestamp units. */
export interface JitterState {
  hasTransit: boolean;
  transit: number;
  jitter: number;
}

export function createJitterState(): JitterState {
  return { hasTransit: false, transit: 0, jitter: 0 };
}

/** J += (|D| − J)/16 with D the change in transit time between consecutive arrivals. */
export function updateJitter(st: JitterState, arrivalMs: number, rtpTs: number, clockRate: number): void {
  // Only differences matter, so the 32-bit timestamp may wrap: fold D into ±2^31.
  const transit = ((arrivalMs * clockRate) / 1000 - rtpTs) % 4294967296;
  if (st.hasTransit) {
    let d = transit - st.transit;
    if (d > 2147483648) d -= 4294967296;
    else if (d < -2147483648) d += 4294967296;
    st.jitter += (Math.abs(d) - st.jitter) / 16;
  }
  st.transit = transit;
  st.hasTransit = true;
}

export interface MosInput {
  /** Codec equipment impairment Ie and loss robustness Bpl. */
  readonly ie: number;
  readonly bpl: number;
  /** Packets lost or discarded as late, as a fraction of expected (0–1). */
  readonly lossRatio: number;
  /** Mouth-to-ear delay estimate (ms). */
  readonly oneWayDelayMs: number;
}

export interface MosEstimate {
  readonly rFactor: number;
  readonly mos: number;
}

/**
 * G.107 with default values for everything but delay and loss (R0 − Is = 93.2), random loss
 * (BurstR = 1): Ie,eff = Ie + (95 − Ie)·Ppl/(Ppl + Bpl), Id ≈ 0.024·d + 0.11·(d − 177.3)·H(d − 177.3).
 */
export function estimateMos(input: MosInput): MosEstimate {
  const ppl = Math.max(0, Math.min(1, input.lossRatio)) * 100;
  const ieEff = input.ie + ((95 - input.ie) * ppl) / (ppl + input.bpl);
  const d = Math.max(0, input.oneWayDelayMs);
  const id = 0.024 * d + (d > 177.3 ? 0.11 * (d - 177.3) : 0);
  const r = Math.max(0, Math.min(100, 93.2 - id - ieEff));
  const mos = r <= 0 ? 1 : r >= 100 ? 4.5 : 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;
  return { rFactor: Math.round(r * 10) / 10, mos: Math.round(Math.max(1, Math.min(4.5, mos)) * 100) / 100 };
}

/** Running packet counters of one stream or a sum of streams (see StreamTimeline.addCountsTo). */
export interface MediaCounts {
  packets: number;
  lost: number;
  late: number;
  duplicates: number;
}

export function createMediaCounts(): MediaCounts {
  return { packets: 0, lost: 0, late: 0, duplicates: 0 };
}

/** Datagrams dropped before or instead of reaching the timeline, by reason. */
export interface DropCounters {
  short: number;
  version: number;
  csrc: number;
  extension: number;
  padding: number;
  rtcp: number;
  /** Datagrams longer than the native reader's 2 KiB slot (no RTP audio packet is). */
  oversize: number;
  unknownPayloadType: number;
  wrongSource: number;
  /** A sequence jump beyond RFC 3550's MAX_DROPOUT not (yet) confirmed by a follower. */
  seqJump: number;
  /** Oldest unread packets discarded because the reader fell behind the ring. */
  overflow: number;
}

export function createDropCounters(): DropCounters {
  return {
    short: 0,
    version: 0,
    csrc: 0,
    extension: 0,
    padding: 0,
    rtcp: 0,
    oversize: 0,
    unknownPayloadType: 0,
    wrongSource: 0,
    seqJump: 0,
    overflow: 0,
  };
}
