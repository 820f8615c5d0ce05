/**
 * RIFF/WAVE: the canonical header the vault writes for live recordings, and the parser for
 * imported files. Canonical forms follow what sox and ffmpeg write: PCM16 = the 44-byte
 * header; G.711 (formatTag 6 A-law, 7 µ-law) = 18-byte fmt (cbSize 0) plus a `fact` chunk
 * holding the sample-frame count (58 bytes), which strict readers require for non-PCM data.
 */
import { readFile } from 'node:fs/promises';
import { VaultBadFormatError, VaultBadWavError, VaultNotFoundError } from './errors.js';
import type { AudioFormat } from './types.js';

export const SUPPORTED_SAMPLE_RATES: readonly number[] = [8000, 16000, 48000];

export interface WavFields {
  readonly formatTag: number;
  readonly channels: number;
  readonly sampleRate: number;
  readonly bitsPerSample: number;
}

const TAGS = { pcm16: 1, alaw: 6, ulaw: 7 } as const;

export function wavFieldsOf(format: AudioFormat): WavFields {
  const tag = (TAGS as Record<string, number | undefined>)[format.encoding];
  if (
    tag === undefined ||
    (format.channels !== 1 && format.channels !== 2) ||
    !SUPPORTED_SAMPLE_RATES.includes(format.sampleRate)
  ) {
    throw new VaultBadFormatError('unsupported audio format', {
      context: {
        encoding: String(format.encoding),
        channels: format.channels,
        sampleRate: format.sampleRate,
      },
    });
  }
  return {
    formatTag: tag,
    channels: format.channels,
    sampleRate: format.sampleRate,
    bitsPerSample: tag === 1 ? 16 : 8,
  };
}

/** Inverse of wavFieldsOf; undefined when the fields are not a format the vault supports. */
export function formatOfWavFields(f: WavFields): AudioFormat | undefined {
  const encoding =
    f.formatTag === 1 ? 'pcm16' : f.formatTag === 6 ? 'alaw' : f.formatTag === 7 ? 'ulaw' : undefined;
  if (encoding === undefined) return undefined;
  if (f.bitsPerSample !== (encoding === 'pcm16' ? 16 : 8)) return undefined;
  if ((f.channels !== 1 && f.channels !== 2) || !SUPPORTED_SAMPLE_RATES.includes(f.sampleRate))
    return undefined;
  return { encoding, channels: f.channels, sampleRate: f.sampleRate };
}

/** Bytes per sample frame (all channels). */
export function frameBytes(format: AudioFormat): number {
  return format.channels * (format.encoding === 'pcm16' ? 2 : 1);
}

export function bytesPerMs(format: AudioFormat): number {
  return (frameBytes(format) * format.sampleRate) / 1000;
}

export function durationMsOf(format: AudioFormat, dataBytes: number): number {
  return Math.round((dataBytes / frameBytes(format) / format.sampleRate) * 1000);
}

/** Canonical prefix (everything before the sample data) and suffix (pad byte) for a data size. */
export function canonicalWavEnvelope(
  format: AudioFormat,
  dataBytes: number,
): { prefix: Buffer; suffix: Buffer } {
  const f = wavFieldsOf(format);
  const pad = dataBytes % 2;
  const blockAlign = (f.channels * f.bitsPerSample) / 8;
  const pcm = f.formatTag === 1;
  const prefix = Buffer.alloc(pcm ? 44 : 58);
  let o = 0;
  const str = (s: string): void => {
    prefix.write(s, o, 'ascii');
    o += 4;
  };
  const u32 = (v: number): void => {
    o = prefix.writeUInt32LE(v, o);
  };
  const u16 = (v: number): void => {
    o = prefix.writeUInt16LE(v, o);
  };
  str('RIFF');
  u32(prefix.length - 8 + dataBytes + pad);
  str('WAVE');
  str('fmt ');
  u32(pcm ? 16 : 18);
  u16(f.formatTag);
  u16(f.channels);
  u32(f.sampleRate);
  u32(f.sampleRate * blockAlign);
  u16(blockAlign);
  u16(f.bitsPerSample);
  if (!pcm) {
    u16(0);
    str('fact');
    u32(4);
    u32(Math.floor(dataBytes / blockAlign));
  }
  str('data');
  u32(dataBytes);
  return { prefix, suffix: pad ? Buffer.alloc(1) : Buffer.alloc(0) };
}

export interface ParsedWav {
  readonly format: AudioFormat;
  /** The file's own bytes before the sample data: kept so export is byte-identical. */
  readonly prefix: Buffer;
  readonly audio: Buffer;
  /** Pad byte and trailing chunks after the sample data, if any. */
  readonly suffix: Buffer;
}

/** Parses a WAV for import. Errors name what is wrong (CV_ERR_VAULT_BAD_WAV). */
export function parseWav(b: Buffer): ParsedWav {
  const bad = (message: string, context: Record<string, string | number> = {}): VaultBadWavError =>
    new VaultBadWavError(`not an importable WAV: ${message}`, { context });
  if (b.length < 12 || b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE') {
    throw bad('missing RIFF/WAVE signature');
  }
  const riffEnd = b.readUInt32LE(4) + 8;
  if (riffEnd > b.length)
    throw bad('file is truncated (RIFF size exceeds file length)', { riffEnd, bytes: b.length });
  let fields: WavFields | undefined;
  let blockAlign = 0;
  let o = 12;
  while (o + 8 <= riffEnd) {
    const id = b.toString('ascii', o, o + 4);
    const size = b.readUInt32LE(o + 4);
    const body = o + 8;
    if (id === 'data') {
      if (fields === undefined) throw bad('data chunk before fmt chunk');
      if (body + size > b.length)
        throw bad('file is truncated (data chunk exceeds file length)', { dataBytes: size });
      const format = formatOfWavFields(fields);
      if (format === undefined) {
        throw bad('unsupported audio format (need PCM16 or G.711 A-law/µ-law, 1-2 channels, 8/16/48 kHz)', {
          ...fields,
        });
      }
      if (blockAlign !== (format.channels * fields.bitsPerSample) / 8 || size % blockAlign !== 0) {
        throw bad('block alignment does not match the format', { blockAlign, dataBytes: size });
      }
      return {
        format,
        prefix: b.subarray(0, body),
        audio: b.subarray(body, body + size),
        suffix: b.subarray(body + size),
      };
    }
    if (body + size > riffEnd) throw bad(`chunk "${id.replace(/[^\x20-\x7e]/g, '?')}" exceeds the RIFF size`);
    if (id === 'fmt ') {
      if (size < 16) throw bad('fmt chunk too short', { size });
      fields = {
        formatTag: b.readUInt16LE(body),
        channels: b.readUInt16LE(body + 2),
        sampleRate: b.readUInt32LE(body + 4),
        bitsPerSample: b.readUInt16LE(body + 14),
      };
      blockAlign = b.readUInt16LE(body + 12);
    }
    o = body + size + (size % 2);
  }
  throw bad(fields === undefined ? 'no fmt chunk' : 'no data chunk');
}

/** Reads a WAV file to import: a missing file is not found, an unreadable one a bad WAV. */
export async function readWavInput(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new VaultNotFoundError('WAV file not found', { cause: err, context: { path } });
    throw new VaultBadWavError('WAV file cannot be read', { cause: err, context: { path } });
  }
}
