/** Test helpers for the media suite: tones, frequency checks, RTP stream generation, loopback senders. */
import { createSocket, type Socket } from 'node:dgram';
import { buildRtpPacket } from '../../../agent/src/media/index.js';

/** A random even port base in 30000–49998, so parallel runs rarely meet. */
export const randomBase = (): number => 30000 + 2 * Math.floor(Math.random() * 9000);

/** A UDP socket bound to 127.0.0.1 on a free port, to send from. */
export async function sender(): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  return s;
}

export const send = (s: Socket, buf: Buffer, port: number): Promise<void> =>
  new Promise((resolve, reject) => s.send(buf, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));

export function tone(
  freqHz: number,
  rate: number,
  samples: number,
  amplitude = 12000,
  startSample = 0,
): Int16Array {
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++)
    out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freqHz * (i + startSample)) / rate));
  return out;
}

/** Rising zero crossings per second: the dominant frequency of a clean tone. */
export function zeroCrossingHz(pcm: Int16Array, rate: number): number {
  let crossings = 0;
  for (let i = 1; i < pcm.length; i++) if (pcm[i - 1]! < 0 && pcm[i]! >= 0) crossings++;
  return crossings / (pcm.length / rate);
}

/** Goertzel power of one frequency, normalised by length. */
export function powerAt(pcm: Int16Array, rate: number, freqHz: number): number {
  const k = 2 * Math.cos((2 * Math.PI * freqHz) / rate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < pcm.length; i++) {
    const s0 = pcm[i]! + k * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return (s1 * s1 + s2 * s2 - k * s1 * s2) / (pcm.length * pcm.length);
}

export function rms(pcm: Int16Array, from = 0, to = pcm.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += pcm[i]! * pcm[i]!;
  return to > from ? Math.sqrt(sum / (to - from)) : 0;
}

export function concat(parts: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export interface GenPacket {
  readonly buf: Buffer;
  readonly seq: number;
  readonly timestamp: number;
  /** Nominal send time, ms after the stream start. */
  readonly atMs: number;
}

/** 20 ms packets of an encoded signal: `bytesPerPacket` payload bytes, `tsPerPacket` RTP units. */
export function packetize(
  payload: Uint8Array,
  opts: {
    pt: number;
    ssrc: number;
    seq0?: number;
    ts0?: number;
    bytesPerPacket?: number;
    tsPerPacket?: number;
  },
): GenPacket[] {
  const per = opts.bytesPerPacket ?? 160;
  const tsPer = opts.tsPerPacket ?? 160;
  const out: GenPacket[] = [];
  for (let k = 0; k * per < payload.length; k++) {
    const seq = ((opts.seq0 ?? 1000) + k) & 0xffff;
    const timestamp = ((opts.ts0 ?? 50000) + k * tsPer) >>> 0;
    out.push({
      buf: buildRtpPacket({
        payloadType: opts.pt,
        seq,
        timestamp,
        ssrc: opts.ssrc,
        payload: payload.subarray(k * per, (k + 1) * per),
      }),
      seq,
      timestamp,
      atMs: k * 20,
    });
  }
  return out;
}
