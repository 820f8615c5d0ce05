/**
 * The media receiver: hands out RTP/RTCP port pairs from the configured range and routes
 * datagrams to their stream's ingestRtp/ingestRtcp. Two socket layers behind one interface:
 * the native reader (one epoll set, recvmmsg, one JS call per batch; see native-reader.ts)
 * when it is built, node:dgram (one socket object and one callback per datagram) otherwise.
 * Reading audio, stats and DTMF is pull-based: the recorder polls once per tick.
 */
import { isIP } from 'node:net';
import type { Logger } from '../common/index.js';
import { DEFAULT_PAYLOAD_TYPES, type CodecName } from './codecs.js';
import {
  MediaClosedError,
  MediaConfigError,
  MediaPortsExhaustedError,
  MediaUnknownStreamError,
} from './errors.js';
import { createMediaRuntime, type MediaRuntime } from './runtime.js';
import { RtpStream } from './stream.js';
import {
  fastPathUnavailable,
  NativeReader,
  nativeReaderAvailable,
  nativeReaderUnavailable,
} from './native-reader.js';
import {
  bindDgramPair,
  bindNativePair,
  closeSocket,
  type Binding,
  type NativeSocket,
} from './port-binding.js';

export type SocketReader = 'auto' | 'native' | 'dgram';

export interface MediaReceiverOptions {
  /** Inclusive range (config media.rtp_ports); pairs start on even ports. */
  readonly portRange: { readonly low: number; readonly high: number };
  /** Address the sockets bind to. Default '127.0.0.1'. */
  readonly bindAddress?: string;
  readonly log: Logger;
  /** Wall clock in ms. Default Date.now; tests inject a fake one. */
  readonly clock?: () => number;
  /** Default for streams (config media.jitter_buffer_ms). Default 60. */
  readonly jitterBufferMs?: number;
  /** Default for streams: drop packets from sources other than the first. Default true. */
  readonly latch?: boolean;
  /** Socket layer (config media.reader): auto = native when built, else dgram. Default auto. */
  readonly reader?: SocketReader;
  /**
   * Let the native reader store in-order packets itself (config media.fast_path; see
   * fast-state.ts). Default true; off with dgram, an injected clock (the reader uses the real
   * one) or an addon whose state layout differs.
   */
  readonly fastPath?: boolean;
  /**
   * The media stage's shared scratch and tables, handed to every stream (main.ts makes one for
   * the process). Default: one for this receiver.
   */
  readonly runtime?: MediaRuntime;
}

export interface AllocateOptions {
  /** Negotiated payload types. Default: PCMU 0, PCMA 8, G722 9, CN 13, telephone-event 101. */
  readonly payloadTypes?: ReadonlyMap<number, CodecName>;
  /** Output rate (8000 | 16000). Default: the first audio codec's rate. */
  readonly sampleRate?: number;
  /** Wall-clock ms of output sample 0. Default: now. Give both streams of a call the same. */
  readonly originMs?: number;
  readonly jitterBufferMs?: number;
  readonly latch?: boolean;
  /** False keeps this stream's packets on the JavaScript path. Default: the receiver's fastPath. */
  readonly fastPath?: boolean;
  /** The call's SIP Call-ID: every log line of this stream carries it. */
  readonly callId?: string;
}

export interface AllocatedStream {
  readonly rtpPort: number;
  readonly rtcpPort: number;
  readonly stream: RtpStream;
}

export interface MediaReceiver {
  allocate(label: string, opts?: AllocateOptions): Promise<AllocatedStream>;
  /** Closes the stream's sockets; its buffered audio can still be read and drained. Idempotent. */
  release(stream: RtpStream): Promise<void>;
  /** Releases every stream. Idempotent; allocate() afterwards fails with CV_ERR_MEDIA_CLOSED. */
  close(): Promise<void>;
  readonly activeStreams: number;
  /** The socket layer in use. */
  readonly reader: 'native' | 'dgram';
  /** Whether the native reader stores in-order packets itself. */
  readonly fastPath: boolean;
}

/** Reads closer together than this share one catch-up drain (ms). */
const CATCH_UP_EVERY_MS = 10;
/** dgram: a gap between reads this long (ms) means the event loop stalled (reads come per tick). */
const STALL_MS = 500;

class RtpReceiver implements MediaReceiver {
  readonly #low: number;
  readonly #high: number;
  readonly #address: string;
  readonly #type: 'udp4' | 'udp6';
  readonly #log: Logger;
  readonly #clock: () => number;
  readonly #jitterBufferMs: number;
  readonly #latch: boolean;
  readonly #runtime: MediaRuntime;
  readonly #streams = new Map<RtpStream, Binding>();
  /** Each stream's logger (with its call id), for the receiver's own lines about it. */
  readonly #streamLogs = new WeakMap<RtpStream, Logger>();
  readonly #usedPorts = new Set<number>();
  readonly #native: NativeReader | null;
  readonly #fastPath: boolean;
  /** Bound once: the read hook every stream gets (no closure per stream). */
  readonly #catchUpHook = (): number => this.#catchUp();
  /** Date.now() of the last catch-up: one per tick serves every stream read in it. */
  #lastCatchUpMs = 0;
  /** dgram: while set, reads are held at #holdAtMs (after a stall, for one turn; see #catchUp). */
  #holding = false;
  #holdAtMs = 0;
  readonly #release = (): void => {
    this.#holding = false;
  };
  readonly #realClock: boolean;
  #cursor: number;
  #closed = false;

  constructor(opts: MediaReceiverOptions) {
    const { low, high } = opts.portRange;
    if (!Number.isInteger(low) || !Number.isInteger(high) || low < 1024 || high > 65535 || high - low < 1) {
      throw new MediaConfigError(
        'media.rtp_ports must be LOW-HIGH within 1024-65535 holding at least one pair',
        { context: { key: 'media.rtp_ports', low, high } },
      );
    }
    this.#low = low % 2 === 0 ? low : low + 1;
    this.#high = high;
    if (this.#low + 1 > this.#high)
      throw new MediaConfigError('media.rtp_ports holds no even/odd pair', {
        context: { key: 'media.rtp_ports', low, high },
      });
    this.#address = opts.bindAddress ?? '127.0.0.1';
    const family = isIP(this.#address);
    if (family === 0)
      throw new MediaConfigError('bind address must be an IP address', {
        context: { bindAddress: this.#address },
      });
    this.#type = family === 6 ? 'udp6' : 'udp4';
    this.#runtime = opts.runtime ?? createMediaRuntime();
    this.#log = opts.log;
    this.#clock = opts.clock ?? Date.now;
    this.#realClock = opts.clock === undefined;
    this.#jitterBufferMs = opts.jitterBufferMs ?? 60;
    this.#latch = opts.latch ?? true;
    this.#cursor = this.#low;
    const reader = opts.reader ?? 'auto';
    if (reader === 'native' && !nativeReaderAvailable())
      throw new MediaConfigError(
        `media.reader is native but the native reader is ${nativeReaderUnavailable()}`,
        {
          context: { key: 'media.reader' },
        },
      );
    this.#native =
      reader === 'dgram'
        ? null
        : NativeReader.create((err) => this.#log.error({ err }, 'media packet handler failed'));
    const fastUnavailable = this.#native === null ? 'no native reader' : fastPathUnavailable();
    this.#fastPath = (opts.fastPath ?? true) && opts.clock === undefined && fastUnavailable === null;
    if ((opts.fastPath ?? true) && this.#native !== null && fastUnavailable !== null)
      this.#log.warn({ reason: fastUnavailable }, 'media fast path off');
  }

  get fastPath(): boolean {
    return this.#fastPath;
  }

  get activeStreams(): number {
    return this.#streams.size;
  }

  get reader(): 'native' | 'dgram' {
    return this.#native === null ? 'dgram' : 'native';
  }

  async allocate(label: string, opts: AllocateOptions = {}): Promise<AllocatedStream> {
    if (this.#closed) throw new MediaClosedError('media receiver is closed', { context: { label } });
    const pairs = Math.floor((this.#high - this.#low + 1) / 2);
    for (let tried = 0; tried < pairs; tried++) {
      const rtpPort = this.#cursor;
      // Rotate so a released pair is reused last: late packets of an old call then hit nothing.
      this.#cursor = rtpPort + 2 + 1 > this.#high ? this.#low : rtpPort + 2;
      if (this.#usedPorts.has(rtpPort)) continue;
      const binding =
        this.#native === null
          ? await bindDgramPair(this.#type, this.#address, rtpPort)
          : bindNativePair(this.#native, this.#address, this.#realClock, rtpPort);
      if (binding === null) continue;
      if (this.#closed) {
        if (binding.kind === 'dgram')
          await Promise.all([closeSocket(binding.rtp), closeSocket(binding.rtcp)]);
        throw new MediaClosedError('media receiver closed during allocate', { context: { label } });
      }
      const log = opts.callId === undefined ? this.#log : this.#log.child({ callId: opts.callId });
      const stream = new RtpStream(
        {
          label,
          rtpPort,
          rtcpPort: rtpPort + 1,
          originMs: opts.originMs ?? this.#clock(),
          payloadTypes: opts.payloadTypes ?? DEFAULT_PAYLOAD_TYPES,
          sampleRate: opts.sampleRate,
          jitterBufferMs: opts.jitterBufferMs ?? this.#jitterBufferMs,
          latch: opts.latch ?? this.#latch,
          clock: this.#clock,
          log,
          runtime: this.#runtime,
        },
        this.#runtime.parse,
      );
      this.#streamLogs.set(stream, log);
      stream.setBeforeRead(this.#catchUpHook);
      if (binding.kind === 'dgram') this.#wire(stream, binding);
      else {
        binding.rtp.sink.stream = stream;
        binding.rtcp.sink.stream = stream;
        const native = this.#native!;
        const rtp = binding.rtp;
        if (this.#fastPath && opts.fastPath !== false)
          stream.attachFastPath(
            (arrays) => native.bindFastPath(rtp, arrays),
            (out, target) => native.emit(rtp, out, target),
          );
      }
      this.#usedPorts.add(rtpPort);
      this.#streams.set(stream, binding);
      log.debug({ label, rtpPort }, 'media stream allocated');
      return { rtpPort, rtcpPort: rtpPort + 1, stream };
    }
    throw new MediaPortsExhaustedError('no free RTP port pair in media.rtp_ports', {
      context: { key: 'media.rtp_ports', low: this.#low, high: this.#high, active: this.#streams.size },
    });
  }

  /**
   * Run before every read; returns how far (wall ms) the read may go. The native reader drains
   * every socket on the spot: the recorder reads every stream in one tick, so one drain within
   * CATCH_UP_EVERY_MS serves them all (one epoll_wait per tick when the sockets are empty).
   * node:dgram cannot be drained on demand, and after a stall libuv reads 32 datagrams per socket
   * per loop turn, so the recorder's timer may run before the backlog is in: the reads of the
   * turn that follows a gap of STALL_MS hold at the last read before it (the next tick, many
   * turns later, reads it all in place). Every read of that turn gets the same limit, so a
   * call's channels stay aligned; the hold ends with the turn (setImmediate), not at a time that
   * could fall between the two streams of one call.
   */
  #catchUp(): number {
    const now = this.#clock();
    const since = now - this.#lastCatchUpMs;
    if (this.#native !== null) {
      if (since >= CATCH_UP_EVERY_MS || since < 0) {
        this.#lastCatchUpMs = now;
        this.#native.catchUp();
      }
      return Infinity;
    }
    // An injected clock is a simulation: its reads are as the test makes them.
    if (!this.#realClock) return Infinity;
    if (since > STALL_MS && !this.#holding) {
      this.#holding = true;
      this.#holdAtMs = this.#lastCatchUpMs;
      setImmediate(this.#release).unref();
    }
    this.#lastCatchUpMs = now;
    return this.#holding ? this.#holdAtMs : Infinity;
  }

  #closeNative(sock: NativeSocket): void {
    this.#native?.close(sock);
  }

  #wire(stream: RtpStream, b: Binding & { kind: 'dgram' }): void {
    const onError = (err: Error): void => {
      (this.#streamLogs.get(stream) ?? this.#log).error(
        { err, label: stream.label, rtpPort: stream.rtpPort },
        'media socket error',
      );
    };
    b.rtp.on('message', (msg, rinfo) => stream.ingestRtp(msg, rinfo.address, rinfo.port));
    b.rtcp.on('message', (msg, rinfo) => stream.ingestRtcp(msg, rinfo.address, rinfo.port));
    b.rtp.on('error', onError);
    b.rtcp.on('error', onError);
  }

  async release(stream: RtpStream): Promise<void> {
    const b = this.#streams.get(stream);
    if (b === undefined) {
      if (stream.released) return;
      throw new MediaUnknownStreamError('stream was not allocated by this receiver', {
        context: { label: stream.label },
      });
    }
    this.#streams.delete(stream);
    stream.markReleased();
    if (b.kind === 'dgram') await Promise.all([closeSocket(b.rtp), closeSocket(b.rtcp)]);
    else {
      this.#closeNative(b.rtp);
      this.#closeNative(b.rtcp);
    }
    this.#usedPorts.delete(stream.rtpPort);
    (this.#streamLogs.get(stream) ?? this.#log).debug(
      { label: stream.label, rtpPort: stream.rtpPort },
      'media stream released',
    );
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#streams.keys()].map((s) => this.release(s)));
    this.#native?.destroy();
  }
}

/** Validates the options; sockets are bound per allocate(). */
export async function createMediaReceiver(opts: MediaReceiverOptions): Promise<MediaReceiver> {
  return new RtpReceiver(opts);
}
