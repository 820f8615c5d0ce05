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
import { CODECS, createAudioDecoder, type AudioDecoder, type CodecInfo, type CodecName } from './codecs.js';
import {
  createDtmfTracker,
  createTelephoneEventPayload,
  flushDtmf,
  parseTelephoneEvent,
  trackTelephoneEvent,
  type DtmfEvent,
} from './dtmf.js';
import { MediaConfigError } from './errors.js';
import type { RtpHeader } from './rtp.js';
import {
  classifySeq,
  createDropCounters,
  estimateMos,
  expectedPackets,
  lostPackets,
  type MediaCounts,
  updateJitter,
  type DropCounters,
  type JitterState,
  type SeqResult,
  type SeqState,
} from './stats.js';
import {
  FastState,
  SLOT,
  SLOT_FIELDS,
  fastCodecId,
  type FastPathArrays,
  type FastPathBinder,
  type FastPathEmitter,
} from './fast-state.js';
import { placeSamples, resampleInto } from './pcm.js';

export interface TimelineOptions {
  /** Wall-clock time (ms) of output sample 0. */
  readonly originMs: number;
  /** Payload type → codec, as negotiated. Default: DEFAULT_PAYLOAD_TYPES. */
  readonly payloadTypes: ReadonlyMap<number, CodecName>;
  /** Output rate, 8000 or 16000 Hz. Default: the first audio codec's rate in payloadTypes. */
  readonly sampleRate?: number;
  /** Play-out delay that absorbs reordering and jitter (ms). Default 60. */
  readonly jitterBufferMs?: number;
  /** A newest packet this far ahead of its arrival time re-anchors the stream (ms). Default 1000. */
  readonly maxAheadMs?: number;
  /**
   * Initial ring capacity in packets, a power of two. Default 32 (640 ms of 20 ms packets).
   * The ring doubles, up to MAX_RING_SLOTS, rather than drop unread audio (10 ms packets, a
   * stalled event loop); only beyond that do the oldest give way (drops.overflow).
   */
  readonly slots?: number;
}

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

const EMPTY = new Int16Array(0);
/** Payload bytes per ring slot to start with: one 20 ms G.711/G.722 packet. Grows on demand. */
const INITIAL_SLOT_BYTES = 160;

/**
 * Decode scratch shared by every timeline: decoding is synchronous and JS runs one call at a
 * time, so a per-stream copy would only cost memory (thousands of streams on a busy box).
 */
let decodeScratch = new Int16Array(INITIAL_SLOT_BYTES * 4);
let resampleScratch = new Int16Array(INITIAL_SLOT_BYTES * 8);
function ensureDecodeScratch(slotBytes: number): void {
  // G.722 yields 2 samples per byte; an 8 → 16 kHz resample doubles that.
  const samples = slotBytes * 2 * 2;
  if (decodeScratch.length < samples) decodeScratch = new Int16Array(samples);
  if (resampleScratch.length < samples * 2) resampleScratch = new Int16Array(samples * 2);
}
/**
 * Payload copies go 4 bytes at a time when source and slot are word-aligned: ~2.7× faster than
 * a byte loop over 160 bytes, and the copy was most of push(). The source is nearly always the
 * native reader's one batch buffer, so its word view is made once and kept; small buffers
 * (node:dgram gives one per datagram) take the byte loop rather than a view per packet.
 */
let srcBuffer: ArrayBufferLike | null = null;
let srcWords: Int32Array<ArrayBufferLike> = new Int32Array(0);
const WORD_VIEW_MIN_BYTES = 65536;

function copyPayload(
  dst: Uint8Array,
  dstWords: Int32Array,
  to: number,
  src: Uint8Array,
  from: number,
  len: number,
): void {
  const at = src.byteOffset + from;
  if (src.buffer !== srcBuffer && src.buffer.byteLength >= WORD_VIEW_MIN_BYTES) {
    srcBuffer = src.buffer;
    srcWords = new Int32Array(src.buffer, 0, src.buffer.byteLength >> 2);
  }
  if (src.buffer === srcBuffer && ((at | to | len) & 3) === 0) {
    const n = len >> 2;
    const t = to >> 2;
    const f = at >> 2;
    for (let i = 0; i < n; i++) dstWords[t + i] = srcWords[f + i]!;
    return;
  }
  for (let i = 0; i < len; i++) dst[to + i] = src[from + i]!;
}

/**
 * Payload-type tables by their contents: calls negotiate a handful of distinct maps, and a
 * 128-entry table per stream cost 2.5 MB at 2 500 streams. Bounded; cleared when full.
 */
const codecTables = new Map<string, readonly (CodecInfo | undefined)[]>();

function codecTable(payloadTypes: ReadonlyMap<number, CodecName>): readonly (CodecInfo | undefined)[] {
  const key = [...payloadTypes].map(([pt, name]) => `${pt}=${name}`).join(',');
  let table = codecTables.get(key);
  if (table === undefined) {
    const t = new Array<CodecInfo | undefined>(128).fill(undefined);
    for (const [pt, name] of payloadTypes) {
      if (!Number.isInteger(pt) || pt < 0 || pt > 127)
        throw new MediaConfigError('payload type must be 0-127', { context: { payloadType: pt } });
      t[pt] = CODECS[name];
    }
    if (codecTables.size >= 256) codecTables.clear();
    codecTables.set(key, (table = Object.freeze(t)));
  }
  return table;
}

/** Ring capacity limit: 10 s of 20 ms packets, 5 s of 10 ms ones. */
export const MAX_RING_SLOTS = 512;
const { IDX: S_IDX, POS: S_POS, LEN: S_LEN, PT: S_PT } = SLOT;

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
  /** Payload type → decoder, made on first use (G.722 keeps state per stream). */
  readonly #decoders: (AudioDecoder | undefined)[] = [];
  /**
   * The per-packet state: ring geometry, source, sequence, anchor, read position, counters,
   * jitter. One shared array (fast-state.ts) so the native reader can take the common packet
   * itself; the private accessors below keep this class's code in terms of named fields.
   */
  readonly #st = new FastState();
  /** Set while the native reader takes this stream's packets (attachFastPath). */
  #binder: FastPathBinder | null = null;
  #emitter: FastPathEmitter | null = null;
  /**
   * Per slot, SLOT_FIELDS numbers side by side: the packet index it holds, its output position,
   * its payload length, and its payload type while its audio awaits decoding (−1 otherwise).
   * One array rather than one per field: a push touches one cache line of it, not five, which
   * counts with thousands of streams whose state is never in cache when their packet arrives.
   */
  #slots: Float64Array;
  #payload: Uint8Array;
  /** #payload as words, for copyPayload (slots are a multiple of 4 bytes). */
  #payloadWords: Int32Array;
  /**
   * Decoded samples that belong past the last emitted position (a packet straddling a read). A
   * payload byte is at most 2 output samples (G.722 at 16 kHz, G.711 upsampled): 4 per slot
   * byte leaves room for packets overlapping after a re-anchor.
   */
  #carry = new Int16Array(INITIAL_SLOT_BYTES * 4);

  readonly #seq: SeqState = this.#st;
  readonly #seqRes: SeqResult = { verdict: 'first', ext: 0 };
  readonly #jitter: JitterState = this.#st;
  readonly #dtmf = createDtmfTracker();
  readonly #event = createTelephoneEventPayload();
  #prevSsrc = -1;
  #lastAudio: CodecName | null = null;

  #late = 0;
  #duplicates = 0;
  #outOfOrder = 0;
  #reanchors = 0;
  #ssrcChanges = 0;
  #comfortNoise = 0;
  #lostBefore = 0;
  #expectedBefore = 0;
  #firstPacketMs: number | null = null;

  constructor(opts: TimelineOptions, drops: DropCounters = createDropCounters()) {
    this.#codecs = codecTable(opts.payloadTypes);
    const firstAudio = [...opts.payloadTypes.values()].map((n) => CODECS[n]).find((c) => c.kind === 'audio');
    this.sampleRate = opts.sampleRate ?? firstAudio?.sampleRate ?? 8000;
    if (this.sampleRate !== 8000 && this.sampleRate !== 16000)
      throw new MediaConfigError('sampleRate must be 8000 or 16000', {
        context: { sampleRate: this.sampleRate },
      });
    this.jitterBufferMs = opts.jitterBufferMs ?? 60;
    if (!(this.jitterBufferMs >= 0 && this.jitterBufferMs <= 1000))
      throw new MediaConfigError('jitter_buffer_ms must be 0-1000', {
        context: { jitterBufferMs: this.jitterBufferMs },
      });
    this.#maxAheadSamples = ((opts.maxAheadMs ?? 1000) * this.sampleRate) / 1000;
    const slots = opts.slots ?? 32;
    if (!Number.isInteger(Math.log2(slots)) || slots < 8 || slots > MAX_RING_SLOTS)
      throw new MediaConfigError(`slots must be a power of two, 8-${MAX_RING_SLOTS}`, { context: { slots } });
    this.#st.mask = slots - 1;
    this.#st.slotBytes = INITIAL_SLOT_BYTES;
    this.#slots = new Float64Array(slots * SLOT_FIELDS);
    for (let i = 0; i < slots; i++) {
      this.#slots[i * SLOT_FIELDS + S_IDX] = -1;
      this.#slots[i * SLOT_FIELDS + S_PT] = -1;
    }
    this.#payload = new Uint8Array(slots * this.#st.slotBytes);
    this.#payloadWords = new Int32Array(this.#payload.buffer);
    this.#originMs = opts.originMs;
    const st = this.#st;
    st.originMs = opts.originMs;
    st.sampleRate = this.sampleRate;
    st.maxAheadSamples = this.#maxAheadSamples;
    this.drops = drops;
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
    for (const d of this.#decoders) d?.reset();
  }

  #newSource(ssrc: number): void {
    if (this.#st.hasSource) {
      this.#ssrcChanges++;
      this.#prevSsrc = this.#st.ssrc;
    }
    this.#st.hasSource = true;
    this.#st.ssrc = ssrc;
    this.#restartSeq();
    this.#st.resetJitter();
  }

  /** Folds the current sequence run into the totals and starts a new one. */
  #restartSeq(): void {
    this.#lostBefore += lostPackets(this.#seq);
    this.#expectedBefore += expectedPackets(this.#seq);
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
        this.#late++;
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
      if (this.#hasAnchoredBefore()) this.#reanchors++;
      this.#st.needAnchor = false;
      this.#st.extOffset = this.#st.maxIdx + 1 - res.ext;
      idx = this.#st.maxIdx + 1;
      pos = this.#anchorPos(arrivalMs);
      this.#reanchor(h.timestamp, pos);
    } else {
      idx = res.ext + this.#st.extOffset;
      if (idx + this.#st.mask < this.#st.maxIdx) {
        // Older than the whole ring: its slot is long gone.
        this.#late++;
        return;
      }
      if (this.#slots[(idx & this.#st.mask) * SLOT_FIELDS + S_IDX] === idx) {
        this.#duplicates++;
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
          this.#reanchors++;
          pos = this.#anchorPos(arrivalMs);
          this.#reanchor(h.timestamp, pos);
        }
        this.#st.refTs = h.timestamp;
        this.#st.refPos = pos;
      } else if (res.verdict === 'older') {
        this.#outOfOrder++;
      }
    }
    this.#seq.received++;
    this.#st.packets++;
    this.#st.bytes += h.payloadLength;
    if (this.#firstPacketMs === null) this.#firstPacketMs = arrivalMs;
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
      this.#markSeen(idx);
      return;
    }
    if (codec.kind === 'comfort-noise') {
      this.#comfortNoise++;
      this.#markSeen(idx);
      return;
    }
    if (idx < this.#st.readIdx || pos < this.#st.emitted) {
      this.#late++;
      this.#markSeen(idx);
      return;
    }
    if (
      this.#dtmf.active &&
      (h.timestamp - this.#dtmf.startTs) >>> 0 > this.#dtmf.duration + DTMF_STALE_UNITS
    )
      flushDtmf(this.#dtmf, codec.clockRate);
    this.#store(idx, pos, h, buf, codec);
    if (this.#binder !== null) this.#arm(h.payloadType, codec);
  }

  /**
   * Lets the native reader take this stream's next packets when they continue what was just
   * stored: same source, next sequence number, this payload type (checked there). Not while a
   * DTMF event is open (its staleness check lives here), nor for payload types 64-95 (with the
   * marker bit they read as RTCP, which only ingest tells apart).
   */
  #arm(pt: number, codec: CodecInfo): void {
    const st = this.#st;
    if (this.#dtmf.active || (pt >= 64 && pt <= 95)) {
      st.armed = false;
      return;
    }
    if (st.fastPt !== pt) {
      st.fastPt = pt;
      st.ratio = this.sampleRate / codec.clockRate;
      st.clockRate = codec.clockRate;
      st.samplesPerByte = codec.samplesPerByte;
      st.codecSampleRate = codec.sampleRate;
      st.fastCodec = fastCodecId(codec.name);
    }
    st.armed = true;
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
    this.#emitter = emitter;
    binder(this.#arrays());
  }

  /** The reader lets go (socket closed): packets go through push() and reads stay in JS. */
  detachFastPath(): void {
    this.#st.armed = false;
    this.#binder = null;
    this.#emitter = null;
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
    return { state: this.#st.array, slots: this.#slots, payload: this.#payload, carry: this.#carry };
  }

  #hasAnchoredBefore(): boolean {
    return this.#st.maxIdx >= 0;
  }

  #markSeen(idx: number): void {
    this.#makeRoom(idx);
    const s = idx & this.#st.mask;
    this.#slots[s * SLOT_FIELDS + S_IDX] = idx;
    this.#clearPending(s);
  }

  #clearPending(s: number): void {
    const at = s * SLOT_FIELDS + S_PT;
    if (this.#slots[at]! >= 0) {
      this.#slots[at] = -1;
      this.#st.pending--;
    }
  }

  /**
   * Keeps the ring from wrapping onto unread packets: it grows while it may, then the oldest
   * give way. Slots already read (or never filled) are simply passed.
   */
  #makeRoom(idx: number): void {
    while (idx - this.#st.readIdx > this.#st.mask) {
      const s = this.#st.readIdx & this.#st.mask;
      const b = s * SLOT_FIELDS;
      if (this.#slots[b + S_PT]! >= 0 && this.#slots[b + S_IDX] === this.#st.readIdx) {
        if (this.#st.mask + 1 < MAX_RING_SLOTS) {
          this.#growRing();
          continue;
        }
        this.#clearPending(s);
        this.drops.overflow++;
      }
      this.#st.readIdx++;
    }
  }

  /** Doubles the ring; every slot keeps its packet, now at idx & the new mask. */
  #growRing(): void {
    const slots = (this.#st.mask + 1) * 2;
    const mask = slots - 1;
    const meta = new Float64Array(slots * SLOT_FIELDS);
    for (let i = 0; i < slots; i++) {
      meta[i * SLOT_FIELDS + S_IDX] = -1;
      meta[i * SLOT_FIELDS + S_PT] = -1;
    }
    const payload = new Uint8Array(slots * this.#st.slotBytes);
    for (let s = 0; s <= this.#st.mask; s++) {
      const from = s * SLOT_FIELDS;
      const idx = this.#slots[from + S_IDX]!;
      if (idx < 0) continue;
      const t = idx & mask;
      meta.set(this.#slots.subarray(from, from + SLOT_FIELDS), t * SLOT_FIELDS);
      payload.set(
        this.#payload.subarray(s * this.#st.slotBytes, (s + 1) * this.#st.slotBytes),
        t * this.#st.slotBytes,
      );
    }
    this.#st.mask = mask;
    this.#slots = meta;
    this.#payload = payload;
    this.#payloadWords = new Int32Array(payload.buffer);
    this.#binder?.(this.#arrays());
  }

  #store(idx: number, pos: number, h: RtpHeader, buf: Uint8Array, codec: CodecInfo): void {
    this.#makeRoom(idx);
    const len = h.payloadLength;
    if (len > this.#st.slotBytes) this.#growSlots(len);
    const s = idx & this.#st.mask;
    this.#clearPending(s);
    const slots = this.#slots;
    const b = s * SLOT_FIELDS;
    slots[b + S_IDX] = idx;
    slots[b + S_POS] = pos;
    slots[b + S_LEN] = len;
    slots[b + S_PT] = h.payloadType;
    this.#st.pending++;
    copyPayload(this.#payload, this.#payloadWords, s * this.#st.slotBytes, buf, h.payloadOffset, len);
    const end = pos + (len * codec.samplesPerByte * this.sampleRate) / codec.sampleRate;
    if (end > this.#st.refEnd) this.#st.refEnd = end;
    this.#lastAudio = codec.name;
  }

  /** Rare: a payload larger than any before. Slots grow to the next power of two. */
  #growSlots(len: number): void {
    let bytes = this.#st.slotBytes;
    while (bytes < len) bytes *= 2;
    const next = new Uint8Array((this.#st.mask + 1) * bytes);
    for (let s = 0; s <= this.#st.mask; s++)
      next.set(this.#payload.subarray(s * this.#st.slotBytes, (s + 1) * this.#st.slotBytes), s * bytes);
    this.#payload = next;
    this.#payloadWords = new Int32Array(next.buffer);
    this.#st.slotBytes = bytes;
    ensureDecodeScratch(bytes);
    const carry = new Int16Array(bytes * 4);
    carry.set(this.#carry.subarray(0, this.#st.carryLen));
    this.#carry = carry;
    this.#binder?.(this.#arrays());
  }

  /** PCM16 for [emitted, untilWallMs − jitterBufferMs); an empty array when nothing is due. */
  read(untilWallMs: number): Int16Array {
    return this.#emitCopy(this.#wallPos(untilWallMs - this.jitterBufferMs));
  }

  /** Final read: everything up to untilWallMs itself, and unended DTMF events are closed. */
  drain(untilWallMs: number): Int16Array {
    const out = this.#emitCopy(this.#wallPos(untilWallMs));
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
    const n = this.#emitInto(Math.min(target, this.#st.emitted + dst.length), dst);
    if (final && this.#st.emitted >= target) flushDtmf(this.#dtmf, CODECS['telephone-event'].clockRate);
    return n;
  }

  #emitCopy(target: number): Int16Array {
    const n = target - this.#st.emitted;
    if (n <= 0) {
      this.#st.audible = false;
      return EMPTY;
    }
    const out = new Int16Array(n);
    this.#emitInto(target, out);
    return out;
  }

  /** Writes [emitted, target) into out[0, target − emitted); out must be long enough. */
  #emitInto(target: number, out: Int16Array): number {
    const n = target - this.#st.emitted;
    this.#st.audible = false;
    if (n <= 0) return 0;
    if (this.#st.carryLen === 0 && this.#st.pending === 0) {
      // Silence fast path: nothing buffered (idle, held or lost audio) costs one fill.
      out.fill(0, 0, n);
      this.#st.emitted = target;
      return n;
    }
    // G.711 is read by the native reader when it holds the ring (the same figures, see emit()
    // in native/rtp-reader.c); other codecs, and streams without it, below.
    if (this.#emitter !== null && this.#emitter(out, target) >= 0) return n;
    out.fill(0, 0, n);
    if (this.#st.carryLen > 0) {
      this.#st.audible = true;
      const c = Math.min(this.#st.carryLen, n);
      const carry = this.#carry;
      for (let i = 0; i < c; i++) out[i] = carry[i]!;
      carry.copyWithin(0, c, this.#st.carryLen);
      this.#st.carryLen -= c;
    }
    let idx = this.#st.readIdx;
    let next = idx;
    const slots = this.#slots;
    for (; idx <= this.#st.maxIdx; idx++) {
      const s = idx & this.#st.mask;
      const b = s * SLOT_FIELDS;
      const pt = slots[b + S_PT]!;
      if (slots[b + S_IDX] !== idx || pt < 0) continue;
      const pos = slots[b + S_POS]!;
      if (pos >= target) break;
      this.#clearPending(s);
      next = idx + 1;
      this.#decodeSlot(s, pt, pos, out, n);
      this.#st.audible = true;
    }
    this.#st.readIdx = next;
    this.#st.emitted = target;
    return n;
  }

  #decodeSlot(s: number, pt: number, pos: number, out: Int16Array, n: number): void {
    let dec = this.#decoders[pt];
    if (dec === undefined) {
      const codec = this.#codecs[pt];
      if (codec === undefined) return;
      dec = createAudioDecoder(codec.name);
      if (dec === undefined) return;
      this.#decoders[pt] = dec;
    }
    const len = this.#slots[s * SLOT_FIELDS + S_LEN]!;
    const start = Math.round(pos - this.#st.emitted);
    if (
      dec.codec.sampleRate === this.sampleRate &&
      start >= 0 &&
      start + len * dec.codec.samplesPerByte <= n
    ) {
      // The common case: the packet lies wholly inside this read at the output rate, so it is
      // decoded in place (no scratch copy, no carry). Gaps stay the zeros the read began with.
      dec.decode(this.#payload, s * this.#st.slotBytes, len, out, start);
      return;
    }
    const count = dec.decode(this.#payload, s * this.#st.slotBytes, len, decodeScratch, 0);
    let src = decodeScratch;
    let samples = count;
    if (dec.codec.sampleRate !== this.sampleRate) {
      samples = resampleInto(decodeScratch, count, dec.codec.sampleRate, this.sampleRate, resampleScratch);
      src = resampleScratch;
    }
    this.#st.carryLen = placeSamples(src, samples, start, out, this.#carry, this.#st.carryLen, n);
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
    acc.lost += this.#lostBefore + lostPackets(this.#seq);
    acc.late += this.#late;
    acc.duplicates += this.#duplicates;
  }

  stats(): StreamStats {
    const expected = this.#expectedBefore + expectedPackets(this.#seq);
    const lost = this.#lostBefore + lostPackets(this.#seq);
    const codec = CODECS[this.#lastAudio ?? 'PCMU'];
    const jitterMs = (this.#jitter.jitter * 1000) / codec.clockRate;
    const lossRatio = expected > 0 ? Math.min(1, (lost + this.#late) / expected) : 0;
    // Mouth-to-ear delay is not observable here; approximate it by what we add (play-out
    // delay, one 20 ms packet) plus twice the measured jitter as network variation.
    const { rFactor, mos } = estimateMos({
      ie: codec.ie,
      bpl: codec.bpl,
      lossRatio,
      oneWayDelayMs: this.jitterBufferMs + 20 + 2 * jitterMs,
    });
    return Object.freeze({
      packets: this.#st.packets,
      bytes: this.#st.bytes,
      expected,
      lost,
      late: this.#late,
      duplicates: this.#duplicates,
      outOfOrder: this.#outOfOrder,
      jitterMs: Math.round(jitterMs * 1000) / 1000,
      rFactor,
      mos,
      reanchors: this.#reanchors,
      ssrcChanges: this.#ssrcChanges,
      ssrc: this.#st.hasSource ? this.#st.ssrc : null,
      codec: this.#lastAudio,
      comfortNoisePackets: this.#comfortNoise,
      dtmfEvents: this.#dtmf.events.length,
      firstPacketMs: this.#firstPacketMs,
      lastPacketMs: this.#st.lastPacketMs,
      drops: Object.freeze({ ...this.drops }),
    });
  }
}
