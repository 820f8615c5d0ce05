/**
 * The native socket layer (native/rtp-reader.c, built by `make`): every media socket in one
 * epoll set, drained with recvmmsg into one batch buffer, one JS call per batch. This module
 * loads the addon, decodes the batch records and hands each datagram to its sink; it knows
 * nothing about RTP. The addon's fast path does (bindFastPath, emit; see fast-state.ts): it stores
 * and reads a bound stream's common packets itself, and only the rest arrive here. When the
 * addon is not built, load() says so and the receiver uses node:dgram instead.
 */
import { loadNativeAddon } from '../common/index.js';
import { ALAW_DECODE, ULAW_DECODE } from './g711.js';
import { FAST_STATE, FAST_STATE_FIELDS, SLOT_FIELDS, type FastPathArrays } from './fast-state.js';

interface Addon {
  create(onBatch: (count: number, bytes: number, nowMs?: number) => void): [unknown, ArrayBuffer];
  open(handle: unknown, id: number, address: string, port: number): number;
  close(handle: unknown, fd: number): void;
  destroy(handle: unknown): void;
  stats(handle: unknown): [number, number, number];
  bind(
    handle: unknown,
    id: number,
    state: Float64Array,
    slots: Float64Array,
    payload: Uint8Array,
    carry: Int16Array,
  ): void;
  unbind(handle: unknown, id: number): void;
  emit(handle: unknown, id: number, out: Int16Array, target: number): number;
  g711(ulaw: Int16Array, alaw: Int16Array): void;
  /** Older builds lack it (the receiver then reads without catching up). */
  catchUp?(handle: unknown): number;
  readonly stateLayout?: Readonly<Record<string, number>>;
}

/** How the reader has been delivering: see native/rtp-reader.c on coalescing. */
export interface NativeReaderStats {
  /** JS calls made, and the datagrams they carried. */
  readonly batches: number;
  readonly datagrams: number;
  /** Drains made by the coalescing timer (the reader is busy when this grows). */
  readonly timerDrains: number;
  /** True while draining on the timer instead of on readiness. */
  readonly coalescing: boolean;
  /** Datagrams stored by the fast path, never seen by JavaScript (see fast-state.ts). */
  readonly fastPackets: number;
}

/**
 * Where the datagrams of one socket go: buf[at, at + len) is valid only during the call.
 * arrivalMs: when the kernel received it (Date.now() scale), NaN when unknown.
 */
export interface DatagramSink {
  datagram(buf: Buffer, at: number, len: number, address: string, port: number, arrivalMs: number): void;
  oversize(): void;
}

const RECORD_HEADER = 28;
const FLAG_TRUNCATED = 1;
const FLAG_IPV6 = 2;

const loadAddon = (): Addon | null => loadNativeAddon<Addon>('rtp-reader').addon;

/** Why the native reader cannot be used here, or null when it can. */
export function nativeReaderUnavailable(): string | null {
  return loadNativeAddon<Addon>('rtp-reader').unavailable;
}

export function nativeReaderAvailable(): boolean {
  return loadAddon() !== null;
}

/**
 * Why the addon's fast path cannot be used with this build (its state layout differs from
 * fast-state.ts: a stale native/build), or null when it can.
 */
export function fastPathUnavailable(): string | null {
  const a = loadAddon();
  if (a === null) return 'the native reader is not built';
  const layout = a.stateLayout;
  if (layout === undefined) return 'the native reader has no fast path (rebuild it)';
  const mismatch = Object.entries(FAST_STATE).find(([name, index]) => layout[name] !== index);
  if (mismatch !== undefined || layout.FIELDS !== FAST_STATE_FIELDS || layout.SLOT_FIELDS !== SLOT_FIELDS)
    return `the native reader's state layout differs${mismatch === undefined ? '' : ` at ${mismatch[0]}`} (rebuild it)`;
  return null;
}

/**
 * Source addresses as strings, interned: the stream latches on (address, port) and compares
 * strings; building one per packet would allocate 125 000 strings a second.
 */
class AddressNames {
  readonly #v4 = new Map<number, string>();

  v4(n: number): string {
    let s = this.#v4.get(n);
    if (s === undefined) {
      if (this.#v4.size >= 4096) this.#v4.clear();
      s = `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
      this.#v4.set(n, s);
    }
    return s;
  }

  v6(b: Uint8Array, at: number): string {
    let mapped = b[at + 10] === 0xff && b[at + 11] === 0xff;
    for (let i = 0; i < 10 && mapped; i++) mapped = b[at + i] === 0;
    if (mapped) return `::ffff:${b[at + 12]}.${b[at + 13]}.${b[at + 14]}.${b[at + 15]}`;
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((b[at + i]! << 8) | b[at + i + 1]!).toString(16));
    // The canonical short form (RFC 5952) as node:dgram reports it.
    const full = groups.join(':');
    let best = '';
    for (const m of full.matchAll(/(?:^|:)0(?::0)+(?::|$)/g)) if (m[0].length > best.length) best = m[0];
    return best === '' ? full : full.replace(best, '::');
  }
}

export class NativeReader {
  readonly #addon: Addon;
  readonly #handle: unknown;
  readonly #buf: Buffer;
  readonly #view: DataView;
  readonly #sinks: (DatagramSink | undefined)[] = [];
  readonly #fds: number[] = [];
  readonly #names = new AddressNames();
  readonly #onSinkError: (err: unknown) => void;
  #destroyed = false;
  #batches = 0;
  #datagrams = 0;

  private constructor(a: Addon, onSinkError: (err: unknown) => void) {
    this.#addon = a;
    this.#onSinkError = onSinkError;
    const [handle, ab] = a.create((count, bytes, nowMs) => this.#onBatch(count, bytes, nowMs ?? Number.NaN));
    if (a.stateLayout !== undefined) a.g711(ULAW_DECODE as Int16Array, ALAW_DECODE as Int16Array);
    this.#handle = handle;
    this.#buf = Buffer.from(ab);
    this.#view = new DataView(ab);
  }

  /** A reader, or null when the addon is not available (see nativeReaderUnavailable). */
  static create(onSinkError: (err: unknown) => void): NativeReader | null {
    const a = loadAddon();
    return a === null ? null : new NativeReader(a, onSinkError);
  }

  /**
   * Binds a UDP socket on address:port and routes its datagrams to sink. Throws an Error
   * whose code is the errno name (EADDRINUSE, EACCES…), as node:dgram does.
   */
  open(address: string, port: number, sink: DatagramSink): { id: number; fd: number } {
    let id = this.#sinks.indexOf(undefined);
    if (id < 0) id = this.#sinks.length;
    const fd = this.#addon.open(this.#handle, id, address, port);
    this.#sinks[id] = sink;
    this.#fds[id] = fd;
    return { id, fd };
  }

  /**
   * Lets the reader store the socket's common RTP packets into a timeline's arrays itself
   * (fast-state.ts); call again with the new arrays whenever they are reallocated. The arrays
   * stay referenced until close(). Only when fastPathUnavailable() is null.
   */
  bindFastPath(socket: { id: number }, arrays: FastPathArrays): void {
    if (this.#destroyed || this.#sinks[socket.id] === undefined) return;
    this.#addon.bind(this.#handle, socket.id, arrays.state, arrays.slots, arrays.payload, arrays.carry);
  }

  /** The native read of a bound G.711 stream (FastPathEmitter): samples written, or −1. */
  emit(socket: { id: number }, out: Int16Array, target: number): number {
    return this.#destroyed ? -1 : this.#addon.emit(this.#handle, socket.id, out, target);
  }

  /**
   * Drains every socket now and delivers the datagrams (sinks and fast path) before returning;
   * returns how many. Reads call this first, so audio is never emitted ahead of datagrams the
   * kernel already holds (after an event-loop stall the reading timer can run before the poll
   * phase has drained the sockets). No-op on a build without it.
   */
  catchUp(): number {
    if (this.#destroyed || this.#addon.catchUp === undefined) return 0;
    return this.#addon.catchUp(this.#handle);
  }

  close(socket: { id: number; fd: number }): void {
    if (this.#destroyed) return;
    if (this.#sinks[socket.id] === undefined) return;
    this.#addon.unbind(this.#handle, socket.id);
    this.#addon.close(this.#handle, socket.fd);
    this.#sinks[socket.id] = undefined;
  }

  /** Closes every socket still open and the epoll set. Idempotent. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#sinks.forEach((sink, id) => {
      if (sink !== undefined) this.#addon.close(this.#handle, this.#fds[id]!);
    });
    this.#addon.destroy(this.#handle);
    this.#sinks.length = 0;
  }

  stats(): NativeReaderStats {
    const [timerDrains, coalescing, fastPackets] = this.#destroyed
      ? [0, 0, 0]
      : this.#addon.stats(this.#handle);
    return {
      batches: this.#batches,
      datagrams: this.#datagrams,
      timerDrains,
      coalescing: coalescing === 1,
      fastPackets,
    };
  }

  /** nowMs: Date.now() of the drain; each record carries its datagram's age at that time. */
  #onBatch(count: number, bytes: number, nowMs: number): void {
    this.#batches++;
    this.#datagrams += count;
    const v = this.#view;
    const buf = this.#buf;
    let off = 0;
    for (let k = 0; k < count && off < bytes; k++) {
      const id = v.getUint32(off, true);
      const len = v.getUint16(off + 4, true);
      const flags = v.getUint16(off + 6, true);
      const sink = this.#sinks[id];
      if (sink !== undefined) {
        try {
          if ((flags & FLAG_TRUNCATED) !== 0) sink.oversize();
          else {
            const port = v.getUint16(off + 8, true);
            const address =
              (flags & FLAG_IPV6) === 0
                ? this.#names.v4(v.getUint32(off + 12, false))
                : this.#names.v6(buf, off + 12);
            sink.datagram(buf, off + RECORD_HEADER, len, address, port, nowMs - v.getUint16(off + 10, true));
          }
        } catch (err) {
          // A sink never throws on packet content (it counts); anything else is reported,
          // and must not cost the rest of the batch, which belongs to other calls.
          this.#onSinkError(err);
        }
      }
      off += RECORD_HEADER + ((len + 3) & ~3);
    }
  }
}
