/**
 * Binding an RTP/RTCP port pair for the receiver (receiver.ts), on either socket layer: the
 * native reader's sockets (with the sink that routes their datagrams to the stream) or two
 * node:dgram sockets. A port in use (or not ours to take) is `null`: the caller tries the next.
 */
import { createSocket, type Socket } from 'node:dgram';
import { MediaBindError } from './errors.js';
import type { RtpStream } from './stream.js';
import type { DatagramSink, NativeReader } from './native-reader.js';

/** A socket of the native reader and the sink its datagrams go to. */
export interface NativeSocket {
  readonly id: number;
  readonly fd: number;
  readonly sink: StreamSink;
}

export type Binding =
  | { readonly kind: 'dgram'; readonly rtp: Socket; readonly rtcp: Socket }
  | { readonly kind: 'native'; readonly rtp: NativeSocket; readonly rtcp: NativeSocket };

/** Routes the native reader's datagrams for one port to the stream. */
export class StreamSink implements DatagramSink {
  stream: RtpStream | null = null;
  readonly #rtcp: boolean;
  /** Use the kernel's receive time (false with an injected clock: a simulation's own time). */
  readonly #kernelTime: boolean;

  constructor(rtcp: boolean, kernelTime: boolean) {
    this.#rtcp = rtcp;
    this.#kernelTime = kernelTime;
  }

  datagram(buf: Buffer, at: number, len: number, address: string, port: number, arrivalMs: number): void {
    const s = this.stream;
    if (s === null) return;
    if (this.#rtcp) s.ingestRtcp(buf.subarray(at, at + len), address, port);
    else s.ingestRtp(buf, address, port, at, len, this.#kernelTime ? arrivalMs : Number.NaN);
  }

  oversize(): void {
    this.stream?.dropOversize();
  }
}

function bindOne(type: 'udp4' | 'udp6', address: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    // Room for an event-loop stall, as the native reader asks for (native/rtp-reader.c).
    const sock = createSocket({ type, reuseAddr: false, recvBufferSize: RCVBUF_BYTES });
    const onError = (err: Error): void => {
      sock.close();
      reject(err);
    };
    sock.once('error', onError);
    sock.bind(port, address, () => {
      sock.off('error', onError);
      resolve(sock);
    });
  });
}

export function closeSocket(sock: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      sock.close(() => resolve());
    } catch {
      resolve();
    }
  });
}

/** SO_RCVBUF per media socket: seconds of a stream while the event loop is stalled. */
const RCVBUF_BYTES = 512 * 1024;

const isInUse = (err: unknown): boolean =>
  (err as NodeJS.ErrnoException).code === 'EADDRINUSE' || (err as NodeJS.ErrnoException).code === 'EACCES';

/** The native reader's socket on `port`, or null when the port is taken. */
function bindNativeOne(
  native: NativeReader,
  address: string,
  kernelTime: boolean,
  port: number,
  rtcp: boolean,
): NativeSocket | null {
  const sink = new StreamSink(rtcp, kernelTime);
  try {
    return { ...native.open(address, port, sink), sink };
  } catch (err) {
    if (isInUse(err)) return null;
    throw new MediaBindError(`cannot bind ${rtcp ? 'RTCP' : 'RTP'} socket`, {
      cause: err,
      context: { port, address },
    });
  }
}

/** RTP on rtpPort and RTCP on the port above, both native, or null (neither kept open). */
export function bindNativePair(
  native: NativeReader,
  address: string,
  kernelTime: boolean,
  rtpPort: number,
): Binding | null {
  const rtp = bindNativeOne(native, address, kernelTime, rtpPort, false);
  if (rtp === null) return null;
  let rtcp: NativeSocket | null;
  try {
    rtcp = bindNativeOne(native, address, kernelTime, rtpPort + 1, true);
  } catch (err) {
    native.close(rtp);
    throw err;
  }
  if (rtcp === null) {
    native.close(rtp);
    return null;
  }
  return { kind: 'native', rtp, rtcp };
}

/** RTP on rtpPort and RTCP on the port above, both node:dgram, or null (neither kept open). */
export async function bindDgramPair(
  type: 'udp4' | 'udp6',
  address: string,
  rtpPort: number,
): Promise<Binding | null> {
  let rtp: Socket;
  try {
    rtp = await bindOne(type, address, rtpPort);
  } catch (err) {
    if (isInUse(err)) return null;
    throw new MediaBindError('cannot bind RTP socket', {
      cause: err,
      context: { port: rtpPort, address },
    });
  }
  try {
    const rtcp = await bindOne(type, address, rtpPort + 1);
    return { kind: 'dgram', rtp, rtcp };
  } catch (err) {
    await closeSocket(rtp);
    if (isInUse(err)) return null;
    throw new MediaBindError('cannot bind RTCP socket', {
      cause: err,
      context: { port: rtpPort + 1, address },
    });
  }
}
