/**
 * Channel layout: pure functions that turn per-side PCM (Int16 at one rate) into the bytes
 * the vault stores. Stereo = left customer, right agent (seed 001: agent and customer are
 * told apart). A side with several streams is summed with clipping; a missing side is silence.
 */

/** Sums equal-rate Int16 blocks sample by sample, clipping; the result has the longest length. */
export function mixInto(blocks: readonly Int16Array[]): Int16Array {
  if (blocks.length === 1) return blocks[0]!;
  const length = Math.max(0, ...blocks.map((b) => b.length));
  const out = new Int16Array(length);
  for (const block of blocks) {
    for (let i = 0; i < block.length; i++) {
      const s = out[i]! + block[i]!;
      out[i] = s > 32767 ? 32767 : s < -32768 ? -32768 : s;
    }
  }
  return out;
}

/** Interleaves left/right into little-endian PCM16 stereo of `frames` frames (short sides padded). */
export function interleaveStereo(left: Int16Array, right: Int16Array, frames: number): Buffer {
  const out = Buffer.alloc(frames * 4);
  const n = Math.min(frames, left.length);
  for (let i = 0; i < n; i++) out.writeInt16LE(left[i]!, i * 4);
  const m = Math.min(frames, right.length);
  for (let i = 0; i < m; i++) out.writeInt16LE(right[i]!, i * 4 + 2);
  return out;
}

export function monoBytes(samples: Int16Array, frames: number): Buffer {
  const out = Buffer.alloc(frames * 2);
  const n = Math.min(frames, samples.length);
  for (let i = 0; i < n; i++) out.writeInt16LE(samples[i]!, i * 2);
  return out;
}
