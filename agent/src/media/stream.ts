/**
 * One received stream: the datagram entry points (RTP and RTCP), source latching, drop
 * counting, and the timeline behind them. The socket layer calls ingestRtp/ingestRtcp and
 * nothing else, so swapping one-socket-per-stream for SSRC demultiplexing or a native
 * recvmmsg reader changes only who calls them.
 */
import type { Logger } from '../common/index.js';
import type { DtmfEvent } from './dtmf.js';
import { isRtcp, parseRtcp, parseRtp, type PacketDropReason } from './rtp.js';
import { createDropCounters, type DropCounters, type MediaCounts } from './stats.js';
import type { FastPathBinder, FastPathEmitter } from './fast-state.js';
import type { ParseScratch } from './runtime.js';
import { StreamTimeline, type StreamStats, type TimelineOptions } from './timeline.js';

export interface RtcpStats {
  readonly packets: number;
  readonly lastRtcpMs: number | null;
  /** From the last SR: what the sender says it sent (compare with our packets). */
  readonly senderPacketCount: number | null;
  readonly senderOctetCount: number | null;
  /** From the last report block: the sender's view of the stream it receives. */
  readonly peerFractionLost: number | null;
  readonly peerCumulativeLost: number | null;
  readonly peerJitterMs: number | null;
  readonly bye: boolean;
}

export interface RtpStreamStats extends StreamStats {
  readonly rtcp: RtcpStats;
  readonly source: { readonly address: string; readonly port: number } | null;
}

export interface RtpStreamOptions extends TimelineOptions {
  readonly label: string;
  readonly rtpPort: number;
  readonly rtcpPort: number;
  /** Drop packets from any source but the first one seen. Default true. */
  readonly latch?: boolean;
  readonly clock: () => number;
  readonly log: Logger;
}

export { createParseScratch, type ParseScratch } from './runtime.js';

export class RtpStream {
  readonly label: string;
  readonly rtpPort: number;
  readonly rtcpPort: number;
  readonly #timeline: StreamTimeline;
  readonly #drops: DropCounters = createDropCounters();
  readonly #latch: boolean;
  readonly #clock: () => number;
  readonly #log: Logger;
  readonly #scratch: ParseScratch;
  #srcAddress: string | null = null;
  #srcPort = 0;
  #released = false;
  /**
   * Set by the receiver, run before every read: delivers what the socket layer holds, and
   * returns the latest wall time (ms) a read may reach now (Infinity: no limit).
   */
  #beforeRead: (() => number) | null = null;
  #rtcpPackets = 0;
  #lastRtcpMs: number | null = null;
  #senderPacketCount: number | null = null;
  #senderOctetCount: number | null = null;
  #peerFractionLost: number | null = null;
  #peerCumulativeLost: number | null = null;
  #peerJitterUnits: number | null = null;
  #bye = false;

  constructor(opts: RtpStreamOptions, scratch: ParseScratch) {
    this.label = opts.label;
    this.rtpPort = opts.rtpPort;
    this.rtcpPort = opts.rtcpPort;
    this.#latch = opts.latch ?? true;
    this.#clock = opts.clock;
    this.#log = opts.log;
    this.#scratch = scratch;
    this.#timeline = new StreamTimeline(opts, this.#drops);
  }

  get sampleRate(): number {
    return this.#timeline.sampleRate;
  }

  /** Wall-clock ms of output sample 0. */
  get originMs(): number {
    return this.#timeline.originMs;
  }

  /** Arrival time (ms) of the last accepted RTP packet, for the recorder's RTP timeout. */
  get lastPacketMs(): number | null {
    return this.#timeline.lastPacketMs;
  }

  /** Arrival time (ms) of the last valid RTCP packet: a held call still sends RTCP. */
  get lastRtcpMs(): number | null {
    return this.#lastRtcpMs;
  }

  get released(): boolean {
    return this.#released;
  }

  /** PCM16 at sampleRate from where the last read ended up to `untilWallMs − jitter_buffer_ms`. */
  read(untilWallMs: number = this.#clock()): Int16Array {
    return this.#timeline.read(this.#readableUntil(untilWallMs));
  }

  /** The final read: up to `untilWallMs` itself; closes unended DTMF events. */
  drain(untilWallMs: number = this.#clock()): Int16Array {
    this.#beforeRead?.();
    return this.#timeline.drain(untilWallMs);
  }

  #readableUntil(untilWallMs: number): number {
    if (this.#beforeRead === null) return untilWallMs;
    const limit = this.#beforeRead();
    return limit < untilWallMs ? limit : untilWallMs;
  }

  /**
   * The recorder's allocation-free read: the next min(due, dst.length) samples into dst;
   * returns the count. `final` reads like drain(). See StreamTimeline.readInto.
   */
  readInto(untilWallMs: number, dst: Int16Array, final = false): number {
    // The final read takes what has arrived: the call is over, nothing is worth waiting for.
    if (final) {
      this.#beforeRead?.();
      return this.#timeline.readInto(untilWallMs, dst, true);
    }
    return this.#timeline.readInto(this.#readableUntil(untilWallMs), dst, false);
  }

  /**
   * @internal The receiver's catch-up, run before every read: datagrams that arrived before the
   * read are delivered to the timeline first, or (when the socket layer cannot drain on demand)
   * the read is held back to a limit it returns, so a read after an event-loop stall does not
   * emit silence over audio still waiting in the socket (which would then arrive "late").
   */
  setBeforeRead(fn: (() => number) | null): void {
    this.#beforeRead = fn;
  }

  /** False when the last read returned silence only (nothing decoded into it). */
  get lastReadAudible(): boolean {
    return this.#timeline.lastReadAudible;
  }

  /** How many DTMF events dtmfEvents() would list: poll this, fetch the list when it grows. */
  get dtmfEventCount(): number {
    return this.#timeline.dtmfEventCount;
  }

  dtmfEvents(): readonly DtmfEvent[] {
    return this.#timeline.dtmfEvents();
  }

  /** Forget the latched source: after a re-INVITE the SBC may send from a new address. */
  unlatch(): void {
    this.#srcAddress = null;
    this.#timeline.disarm();
  }

  /**
   * @internal The native reader takes the stream's common packets itself from now on (see
   * fast-state.ts); binder receives the shared arrays now and after every ring reallocation.
   */
  attachFastPath(binder: FastPathBinder, emitter: FastPathEmitter | null = null): void {
    this.#timeline.attachFastPath(binder, this.#latch, emitter);
  }

  /** Adds the running packet counters to acc (no allocation; see StreamTimeline.addCountsTo). */
  addCountsTo(acc: MediaCounts): void {
    this.#timeline.addCountsTo(acc);
  }

  /** Packets the native reader stored without JavaScript (counted in stats() as well). */
  get fastPathPackets(): number {
    return this.#timeline.fastPathPackets;
  }

  /** Reads the native reader decoded itself (G.711 with every due packet inside the read). */
  get fastPathReads(): number {
    return this.#timeline.fastPathReads;
  }

  stats(): RtpStreamStats {
    const t = this.#timeline.stats();
    const clockRate = 8000;
    return Object.freeze({
      ...t,
      rtcp: Object.freeze({
        packets: this.#rtcpPackets,
        lastRtcpMs: this.#lastRtcpMs,
        senderPacketCount: this.#senderPacketCount,
        senderOctetCount: this.#senderOctetCount,
        peerFractionLost: this.#peerFractionLost,
        peerCumulativeLost: this.#peerCumulativeLost,
        peerJitterMs: this.#peerJitterUnits === null ? null : (this.#peerJitterUnits * 1000) / clockRate,
        bye: this.#bye,
      }),
      source:
        this.#srcAddress === null ? null : Object.freeze({ address: this.#srcAddress, port: this.#srcPort }),
    });
  }

  /** @internal Called by the receiver when the sockets are closed. */
  markReleased(): void {
    this.#released = true;
    this.#beforeRead = null;
    this.#timeline.detachFastPath();
  }

  /**
   * @internal The socket layer's entry for a datagram on the RTP port: buf[at, at + len)
   * (the native reader hands a slice of its batch buffer; dgram a whole Buffer). arrivalMs:
   * when the kernel received it (the native reader knows, also after a stall); NaN: now.
   */
  ingestRtp(
    buf: Buffer,
    address: string,
    port: number,
    at = 0,
    len = buf.length - at,
    arrivalMs = Number.NaN,
  ): void {
    if (this.#released) return;
    // The native reader compares sources with the last datagram it handed over, so only an
    // accepted packet may arm it again (a dropped one from elsewhere must not).
    this.#timeline.disarm();
    if (isRtcp(buf, len, at)) {
      this.ingestRtcp(at === 0 && len === buf.length ? buf : buf.subarray(at, at + len), address, port);
      return;
    }
    const h = this.#scratch.rtp;
    const reason = parseRtp(buf, len, h, at);
    if (reason !== null) {
      this.#drop(reason);
      return;
    }
    if (this.#srcAddress === null) {
      this.#srcAddress = address;
      this.#srcPort = port;
      this.#log.info(
        { label: this.label, rtpPort: this.rtpPort, source: { address, port } },
        'media source latched',
      );
    } else if (this.#latch && (port !== this.#srcPort || address !== this.#srcAddress)) {
      this.#drop('wrongSource');
      return;
    }
    this.#timeline.push(h, buf, Number.isNaN(arrivalMs) ? this.#clock() : arrivalMs);
  }

  /** @internal Entry for a datagram on the RTCP port (or muxed on the RTP port). */
  ingestRtcp(buf: Buffer, address: string, port: number): void {
    if (this.#released) return;
    if (this.#latch && this.#srcAddress !== null && address !== this.#srcAddress) {
      // RTCP comes from the odd port, so only the address can be compared.
      void port;
      this.#drop('wrongSource');
      return;
    }
    const info = this.#scratch.rtcp;
    const reason = parseRtcp(buf, buf.length, info);
    if (reason !== null) {
      this.#drop(reason === 'short' || reason === 'version' ? reason : 'rtcp');
      return;
    }
    this.#rtcpPackets++;
    this.#lastRtcpMs = this.#clock();
    if (info.hasSenderReport) {
      this.#senderPacketCount = info.senderPacketCount;
      this.#senderOctetCount = info.senderOctetCount;
    }
    if (info.hasReportBlock) {
      this.#peerFractionLost = info.fractionLost;
      this.#peerCumulativeLost = info.cumulativeLost;
      this.#peerJitterUnits = info.jitterUnits;
    }
    if (info.bye) this.#bye = true;
  }

  /** @internal A datagram the socket layer could not hold whole. */
  dropOversize(): void {
    if (!this.#released) this.#drop('oversize');
  }

  #drop(reason: PacketDropReason | 'wrongSource'): void {
    const n = ++this.#drops[reason];
    // Logged at 1, 2, 4, 8… per reason: a flood costs a handful of lines, not one per packet.
    if ((n & (n - 1)) === 0)
      this.#log.warn({ label: this.label, rtpPort: this.rtpPort, reason, count: n }, 'media packet dropped');
  }
}
