/**
 * A decrypted WAV as 16-bit PCM channels, and back. Training copies are written as PCM16 at the
 * original's rate and channel count whatever its encoding: the detector and masker work on
 * linear samples, and re-encoding to G.711 would only lose more.
 */
import { ALAW_DECODE, ULAW_DECODE } from '../media/index.js';
import { canonicalWavEnvelope, parseWav } from '../vault/index.js';
import type { AudioFormat } from '../vault/index.js';

export interface PcmChannels {
  readonly sampleRate: number;
  readonly channels: Int16Array[];
}

/** Decodes a WAV the vault accepts (PCM16, A-law, µ-law; 1-2 channels) into one array per channel. */
export function wavToChannels(wav: Buffer): PcmChannels {
  const { format, audio } = parseWav(wav);
  const n = format.channels;
  const bytes = format.encoding === 'pcm16' ? 2 : 1;
  const frames = Math.floor(audio.length / (bytes * n));
  const channels = Array.from({ length: n }, () => new Int16Array(frames));
  const table = format.encoding === 'alaw' ? ALAW_DECODE : format.encoding === 'ulaw' ? ULAW_DECODE : null;
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < n; c++) {
      const at = (f * n + c) * bytes;
      channels[c]![f] = table === null ? audio.readInt16LE(at) : table[audio[at]!]!;
    }
  }
  return { sampleRate: format.sampleRate, channels };
}

/** Interleaved little-endian PCM16 sample data (no header). */
export function interleave(channels: readonly Int16Array[]): Buffer {
  const n = channels.length;
  const frames = channels[0]?.length ?? 0;
  const out = Buffer.alloc(frames * n * 2);
  for (let f = 0; f < frames; f++)
    for (let c = 0; c < n; c++) out.writeInt16LE(channels[c]![f]!, (f * n + c) * 2);
  return out;
}

export function pcm16Format(pcm: PcmChannels): AudioFormat {
  return { encoding: 'pcm16', channels: pcm.channels.length === 2 ? 2 : 1, sampleRate: pcm.sampleRate };
}

/** A canonical 44-byte-header WAV of the channels: nothing of the original file's own chunks. */
export function channelsToWav(pcm: PcmChannels): Buffer {
  const data = interleave(pcm.channels);
  const { prefix, suffix } = canonicalWavEnvelope(pcm16Format(pcm), data.length);
  return Buffer.concat([prefix, data, suffix]);
}
