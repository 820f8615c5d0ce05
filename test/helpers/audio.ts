/** Known audio for tests: tones per channel, and a frequency estimate to check them after. */
import { spawnSync } from 'node:child_process';

/** Makes a PCM16 WAV with sox: one sine per channel (e.g. [440, 880] = left 440 Hz, right 880 Hz). */
export function makeToneWav(path: string, seconds: number, freqs: readonly number[], rate = 8000): void {
  const synth = freqs.flatMap((f) => ['sine', String(f)]);
  const r = spawnSync('sox', [
    '-n',
    '-r',
    String(rate),
    '-b',
    '16',
    '-c',
    String(freqs.length),
    path,
    'synth',
    String(seconds),
    ...synth,
    'vol',
    '0.5',
  ]);
  if (r.status !== 0) throw new Error(`sox failed: ${r.stderr.toString()}`);
}

export interface WavInfo {
  readonly channels: number;
  readonly sampleRate: number;
  readonly bitsPerSample: number;
  readonly formatTag: number;
  readonly data: Buffer;
}

/** Minimal RIFF walk, independent of the product's own WAV code (so tests do not trust it). */
export function readWav(buf: Buffer): WavInfo {
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE')
    throw new Error('not a WAV');
  let off = 12;
  let fmt: Omit<WavInfo, 'data'> | null = null;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      fmt = {
        formatTag: buf.readUInt16LE(body),
        channels: buf.readUInt16LE(body + 2),
        sampleRate: buf.readUInt32LE(body + 4),
        bitsPerSample: buf.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (fmt === null) throw new Error('data before fmt');
      return { ...fmt, data: buf.subarray(body, Math.min(buf.length, body + size)) };
    }
    off = body + size + (size & 1);
  }
  throw new Error('no data chunk');
}

/** One PCM16 channel as numbers, optionally a window [fromS, toS). */
function channelSamples(wav: WavInfo, channel: number, fromS = 0, toS = Infinity): Float64Array {
  const frame = wav.channels * 2;
  const frames = Math.floor(wav.data.length / frame);
  const a = Math.max(0, Math.floor(fromS * wav.sampleRate));
  const b = Math.min(frames, Math.floor(toS * wav.sampleRate));
  const out = new Float64Array(Math.max(0, b - a));
  for (let i = a; i < b; i++) out[i - a] = wav.data.readInt16LE(i * frame + channel * 2);
  return out;
}

/** Goertzel power of `freq` in `x` (sample rate `rate`). */
function power(x: Float64Array, freq: number, rate: number): number {
  const k = 2 * Math.cos((2 * Math.PI * freq) / rate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < x.length; i++) {
    const s0 = x[i]! + k * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - k * s1 * s2;
}

/**
 * Dominant frequency of one channel (Hz), by a Goertzel scan over 50 Hz – Nyquist: coarse 10 Hz
 * steps, then 1 Hz around the peak. Silence gaps (loss, hold) do not bias it, unlike counting
 * zero crossings. Analyses at most 2 s from the middle of the window for speed.
 */
export function channelFrequency(wav: WavInfo, channel: number, fromS = 0, toS = Infinity): number {
  let x = channelSamples(wav, channel, fromS, toS);
  const maxN = 2 * wav.sampleRate;
  if (x.length > maxN) {
    const start = Math.floor((x.length - maxN) / 2);
    x = x.subarray(start, start + maxN);
  }
  let best = 0;
  let bestP = -1;
  for (let f = 50; f < wav.sampleRate / 2; f += 10) {
    const p = power(x, f, wav.sampleRate);
    if (p > bestP) [best, bestP] = [f, p];
  }
  const coarse = best;
  for (let f = coarse - 10; f <= coarse + 10; f++) {
    const p = power(x, f, wav.sampleRate);
    if (p > bestP) [best, bestP] = [f, p];
  }
  return best;
}

export function durationSeconds(wav: WavInfo): number {
  return wav.data.length / (wav.channels * (wav.bitsPerSample / 8) * wav.sampleRate);
}

/**
 * Where a WAV header ("RIFF", 4 size bytes, "WAVE") starts in `bytes`, or -1. Looking for
 * "RIFF" alone would fire on ciphertext once in ~2^32 positions: about one 60 s recording in
 * two thousand.
 */
export function findWavHeader(bytes: Buffer): number {
  for (let i = bytes.indexOf('RIFF'); i >= 0; i = bytes.indexOf('RIFF', i + 1))
    if (bytes.toString('latin1', i + 8, i + 12) === 'WAVE') return i;
  return -1;
}
