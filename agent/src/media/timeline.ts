/**
 * One stream's reorder buffer and wall-clock timeline.
 *
 * Output sample k of a stream belongs to wall time originMs + k/sampleRate. The first packet
 * (and every re-anchor) is placed at the position of its arrival time; later packets are
 * placed by RTP timestamp relative to the newest packet, so loss, hold and silence
 * suppression become silence of the right length and two streams of one call stay aligned.
 *
 * push() is the per-packet path: classify the sequence number, copy the payload into a ring
 * slot, bump counters. Decoding happens in read(), in bulk and in sequence order, because
 * G.722 is stateful. read(until) emits up to `until − jitterBufferMs`: a packet arriving up to
 * jitterBufferMs behind the first one is on time; anything whose slot was emitted is late.
 */
import { CODECS, type CodecInfo, type CodecName } from './codecs.js';
import {
  createDtmfTracker,
  createTelephoneEventPayload,
  flushDtmf,
  parseTelephoneEvent,
  trackTelephoneEvent,
  type DtmfEvent,
} from './dtmf.js';
import type { RtpHeader } from './rtp.js';
import {
  classifySeq,
  createDropCounters,
  expectedPackets,
  lostPackets,
  type MediaCounts,
  updateJitter,
  type DropCounters,
  type JitterState,
  type SeqResult,
  type SeqState,
} from './stats.js';
import { FastState, type FastPathArrays, type FastPathBinder, type FastPathEmitter } from './fast-state.js';
import { Playout } from './playout.js';
import { MAX_RING_SLOTS, Ring } from './ring.js';
import { resolveTimelineOptions, type TimelineOptions } from './timeline-options.js';
import { createTimelineCounts, streamStats, type StreamStats } from './timeline-stats.js';

export { MAX_RING_SLOTS, type StreamStats, type TimelineOptions };

/** How long an unended DTMF event may stay open once audio is past it (RTP units at 8 kHz). */
const DTMF_STALE_UNITS = 8000;

export class StreamTimeline {
  readonly sampleRate: number;
  readonly jitterBufferMs: number;
  readonly drops: DropCounters;
  readonly #originMs: number;
  readonly #maxAheadSamples: number;
  /** Payload type → codec; shared by every timeline with the same payload types. */
  readonly #codecs: readonly (CodecInfo | undefined)[];
  /**
   * The per-packet state: ring geometry, source, sequence, anchor, read position, counters,
   * jitter. One shared array (fast-state.ts) so the native reader can take the common packet
   * itself; FastState names its fields.
   */
  readonly #st = new FastState();
  readonly #ring: Ring;
  readonly #playout: Playout;
  /** Set while the native reader takes this stream's packets (attachFastPath). */
  #binder: FastPathBinder | null = null;
  readonly #seq: SeqState = this.#st;
  readonly #seqRes: SeqResult = { verdict: 'first', ext: 0 };
  readonly #jitter: JitterState = this.#st;
  readonly #dtmf = createDtmfTracker();
  readonly #event = createTelephoneEventPayload();
  #prevSsrc = -1;
  #lastAudio: CodecName | null = null;

  readonly #counts = createTimelineCounts();

  constructor(opts: TimelineOptions, drops: DropCounters = createDropCounters()) {
    const o = resolveTimelineOptions(opts);
    this.#codecs = o.codecs;
    this.sampleRate = o.sampleRate;
    this.jitterBufferMs = o.jitterBufferMs;
    this.#maxAheadSamples = o.maxAheadSamples;
    const slots = o.slots;
    this.drops = drops;
    this.#ring = new Ring(this.#st, slots, drops, o.runtime, () => this.#onRealloc());
    this.#playout = new Playout(this.#st, this.#ring, this.#codecs, this.sampleRate, o.runtime);
    this.#originMs = opts.originMs;
    const st = this.#st;
    st.originMs = opts.originMs;
    st.sampleRate = this.sampleRate;
    st.maxAheadSamples = this.#maxAheadSamples;
  }

  get originMs(): number {
    return this.#originMs;
  }

  /** Output samples emitted so far (= the next read's first sample position). */
  get emittedSamples(): number {
    return this.#st.emitted;
  }

  get lastPacketMs(): number | null {
    return this.#st.lastPacketMs;
  }

  /** False when the last read/readInto returned only silence (nothing was decoded into it). */
  get lastReadAudible(): boolean {
    return this.#st.audible;
  }

  /** Completed DTMF events so far; compare with a previous count before asking for the list. */
  get dtmfEventCount(): number {
    return this.#dtmf.events.length;
  }

  #wallPos(ms: number): number {
    const pos = Math.round(((ms - this.#originMs) * this.sampleRate) / 1000);
    return pos > 0 ? pos : 0;
  }

  /** The earliest position a fresh anchor may take without overwriting audio already placed. */
  #anchorPos(arrivalMs: number): number {
    let pos = this.#wallPos(arrivalMs);
    if (pos < this.#st.refEnd) pos = this.#st.refEnd;
    if (pos < this.#st.emitted + this.#st.carryLen) pos = this.#st.emitted + this.#st.carryLen;
    return pos;
  }

  #reanchor(ts: number, pos: number): void {
    this.#st.refTs = ts;
    this.#st.refPos = pos;
    this.#st.refEnd = pos;
    this.#playout.resetDecoders();
  }

  #newSource(ssrc: number): void {
    if (this.#st.hasSource) {
      this.#counts.ssrcChanges++;
      this.#prevSsrc = this.#st.ssrc;
    }
    this.#st.hasSource = true;
    this.#st.ssrc = ssrc;
    this.#restartSeq();
    this.#st.resetJitter();
  }

  /** Folds the current sequence run into the totals and starts a new one. */
  #restartSeq(): void {
    this.#counts.lostBefore += lostPackets(this.#seq);
    this.#counts.expectedBefore += expectedPackets(this.#seq);
    this.#seq.started = false;
    this.#seq.received = 0;
    this.#st.needAnchor = true;
  }

  /** Accepts one parsed RTP packet. Never throws on packet content; counts instead. */
  push(h: RtpHeader, buf: Uint8Array, arrivalMs: number): void {
    const codec = this.#codecs[h.payloadType];
    if (codec === undefined) {
      this.drops.unknownPayloadType++;
      return;
    }
    if (h.ssrc !== this.#st.ssrc || !this.#st.hasSource) {
      if (h.ssrc === this.#prevSsrc) {
        // A straggler of the source we already switched away from.
        this.#counts.late++;
        return;
      }
      this.#newSource(h.ssrc);
    }
    let res = classifySeq(this.#seq, h.seq, this.#seqRes);
    if (res.verdict === 'jump') {
      this.drops.seqJump++;
      return;
    }
    if (res.verdict === 'restart') {
      this.#restartSeq();
      res = classifySeq(this.#seq, h.seq, this.#seqRes);
    }
    const ratio = this.sampleRate / codec.clockRate;
    let idx: number;
    let pos: number;
    if (this.#st.needAnchor) {
      if (this.#hasAnchoredBefore()) this.#counts.reanchors++;
      this.#st.needAnchor = false;
      this.#st.extOffset = this.#st.maxIdx + 1 - res.ext;
      idx = this.#st.maxIdx + 1;
      pos = this.#anchorPos(arrivalMs);
      this.#reanchor(h.timestamp, pos);
    } else {
      idx = res.ext + this.#st.extOffset;
      if (idx + this.#st.mask < this.#st.maxIdx) {
        // Older than the whole ring: its slot is long gone.
        this.#counts.late++;
        return;
      }
      if (this.#ring.holds(idx)) {
        this.#counts.duplicates++;
        return;
      }
      pos = this.#st.refPos + ((h.timestamp - this.#st.refTs) | 0) * ratio;
      if (res.verdict === 'newest' && codec.kind !== 'event') {
        if (
          pos < this.#st.refPos ||
          pos < this.#st.emitted ||
          pos - this.#wallPos(arrivalMs) > this.#maxAheadSamples
        ) {
          // Timestamps went backwards, stood still across a hold, or leapt ahead: start a new
          // mapping at the arrival time instead of garbling or dropping what follows.
          this.#counts.reanchors++;
          pos = this.#anchorPos(arrivalMs);
          this.#reanchor(h.timestamp, pos);
        }
        this.#st.refTs = h.timestamp;
        this.#st.refPos = pos;
      } else if (res.verdict === 'older') {
        this.#counts.outOfOrder++;
      }
    }
    this.#seq.received++;
    this.#st.packets++;
    this.#st.bytes += h.payloadLength;
    if (this.#counts.firstPacketMs === null) this.#counts.firstPacketMs = arrivalMs;
    this.#st.lastPacketMs = arrivalMs;
    updateJitter(this.#jitter, arrivalMs, h.timestamp, codec.clockRate);
    if (idx > this.#st.maxIdx) this.#st.maxIdx = idx;

    if (codec.kind === 'event') {
      if (parseTelephoneEvent(buf, h.payloadOffset, h.payloadLength, this.#event)) {
        trackTelephoneEvent(
          this.#dtmf,
          this.#event,
          h.timestamp,
          (pos * 1000) / this.sampleRate,
          codec.clockRate,
        );
      }
      this.#ring.markSeen(idx);
      return;
    }
    if (codec.kind === 'comfort-noise') {
      this.#counts.comfortNoise++;
      this.#ring.markSeen(idx);
      return;
    }
    if (idx < this.#st.readIdx || pos < this.#st.emitted) {
      this.#counts.late++;
      this.#ring.markSeen(idx);
      return;
    }
    if (
      this.#dtmf.active &&
      (h.timestamp - this.#dtmf.startTs) >>> 0 > this.#dtmf.duration + DTMF_STALE_UNITS
    )
      flushDtmf(this.#dtmf, codec.clockRate);
    this.#ring.store(idx, pos, h.payloadType, buf, h.payloadOffset, h.payloadLength);
    const end = pos + (h.payloadLength * codec.samplesPerByte * this.sampleRate) / codec.sampleRate;
    if (end > this.#st.refEnd) this.#st.refEnd = end;
    this.#lastAudio = codec.name;
    if (this.#binder !== null) this.#st.arm(h.payloadType, codec, this.sampleRate, this.#dtmf.active);
  }

  /**
   * Hands the state and ring to the native reader (binder: now and after every reallocation).
   * `latch`: the reader compares each packet's source with the last one JavaScript accepted.
   * Packets keep coming through push() until one arms the fast path.
   */
  attachFastPath(binder: FastPathBinder, latch: boolean, emitter: FastPathEmitter | null = null): void {
    this.#st.latch = latch;
    this.#st.armed = false;
    this.#binder = binder;
    this.#playout.emitter = emitter;
    binder(this.#arrays());
  }

  /** The reader lets go (socket closed): packets go through push() and reads stay in JS. */
  detachFastPath(): void {
    this.#st.armed = false;
    this.#binder = null;
    this.#playout.emitter = null;
  }

  /** The next packet goes through push(): ingest calls this before anything that may drop. */
  disarm(): void {
    this.#st.armed = false;
  }

  /** Packets the native reader stored for this stream (they are in the other counters too). */
  get fastPathPackets(): number {
    return this.#st.fastPackets;
  }

  /** Reads the native reader decoded itself. */
  get fastPathReads(): number {
    return this.#st.fastReads;
  }

  #arrays(): FastPathArrays {
    return {
      state: this.#st.array,
      slots: this.#ring.slots,
      payload: this.#ring.payload,
      carry: this.#playout.carry,
    };
  }

  /** The ring reallocated or its slots grew: the carry follows, the native reader rebinds. */
  #onRealloc(): void {
    this.#playout.fitSlots(this.#st.slotBytes);
    this.#binder?.(this.#arrays());
  }

  #hasAnchoredBefore(): boolean {
    return this.#st.maxIdx >= 0;
  }

  /** PCM16 for [emitted, untilWallMs − jitterBufferMs); an empty array when nothing is due. */
  read(untilWallMs: number): Int16Array {
    return this.#playout.emitCopy(this.#wallPos(untilWallMs - this.jitterBufferMs));
  }

  /** Final read: everything up to untilWallMs itself, and unended DTMF events are closed. */
  drain(untilWallMs: number): Int16Array {
    const out = this.#playout.emitCopy(this.#wallPos(untilWallMs));
    flushDtmf(this.#dtmf, CODECS['telephone-event'].clockRate);
    return out;
  }

  /** Samples a read(untilWallMs) would return now (drain: `final`). */
  due(untilWallMs: number, final = false): number {
    const n = this.#wallPos(final ? untilWallMs : untilWallMs - this.jitterBufferMs) - this.#st.emitted;
    return n > 0 ? n : 0;
  }

  /**
   * The allocation-free read: writes the first min(due, dst.length) samples of what read()
   * would return into dst and returns how many; call again while it fills dst. With `final`
   * it reads like drain() and closes unended DTMF events once nothing more is due.
   */
  readInto(untilWallMs: number, dst: Int16Array, final = false): number {
    const target = this.#wallPos(final ? untilWallMs : untilWallMs - this.jitterBufferMs);
    const n = this.#playout.emitInto(Math.min(target, this.#st.emitted + dst.length), dst);
    if (final && this.#st.emitted >= target) flushDtmf(this.#dtmf, CODECS['telephone-event'].clockRate);
    return n;
  }

  /** Completed (and, after drain, unended) DTMF events so far, oldest first. */
  dtmfEvents(): readonly DtmfEvent[] {
    return this.#dtmf.events.slice();
  }

  /**
   * Adds this stream's running packet counters to acc, without allocating: the metrics scrape
   * sums every live stream (thousands) with this, so it must cost a few field reads.
   */
  addCountsTo(acc: MediaCounts): void {
    acc.packets += this.#st.packets;
    acc.lost += this.#counts.lostBefore + lostPackets(this.#seq);
    acc.late += this.#counts.late;
    acc.duplicates += this.#counts.duplicates;
  }

  stats(): StreamStats {
    return streamStats(this.#counts, this.#st, {
      lastAudio: this.#lastAudio,
      jitterBufferMs: this.jitterBufferMs,
      dtmfEvents: this.#dtmf.events.length,
      drops: this.drops,
    });
  }
}
