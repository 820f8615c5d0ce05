/** Known audio for tests: tones per channel, and a frequency estimate to check them after. */
import { spawnSync } from 'node:child_process';

/** Makes a PCM16 WAV with sox: one sine per channel (e.g. [440, 880] = left 440 Hz, right 880 Hz). */
export function makeToneWav(path: string, seconds: number, freqs: readonly number[], rate = 8000): void {
  const synth = freqs.flatMap((f) => ['sine', String(f)]);
  const r = spawnSync('sox', ['-n', '-r', String(rate), '-b', '16', '-c', String(freqs.length), path, 'synth', String(seconds), ...synth, 'vol', '0.5']);
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
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not a WAV');
  let off = 12;
  let fmt: Omit<WavInfo, 'data'> | null = null;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      fmt = { formatTag: buf.readUInt16LE(body), channels: buf.readUInt16LE(body + 2), sampleRate: buf.readUInt32LE(body + 4), bitsPerSample: buf.readUInt16LE(body + 14) };
    } else if (id === 'data') {
      if (fmt === null) throw new Error('data before fmt');
      return { ...fmt, data: buf.subarray(body, Math.min(buf.length, body + size)) };
    }
    off = body + size + (size & 1);
  }
  throw new Error('no data chunk');
}

/** Dominant frequency of one PCM16 channel, by counting rising zero crossings. */
export function channelFrequency(wav: WavInfo, channel: number): number {
  const frame = wav.channels * 2;
  const frames = Math.floor(wav.data.length / frame);
  let crossings = 0;
  let prev = wav.data.readInt16LE(channel * 2);
  for (let i = 1; i < frames; i++) {
    const s = wav.data.readInt16LE(i * frame + channel * 2);
    if (prev < 0 && s >= 0) crossings++;
    prev = s;
  }
  return crossings / (frames / wav.sampleRate);
}

export function durationSeconds(wav: WavInfo): number {
  return wav.data.length / (wav.channels * (wav.bitsPerSample / 8) * wav.sampleRate);
}
