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

/** PCM16 in the vault is little-endian; on a little-endian host an Int16Array view writes it directly. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Interleaves left/right into little-endian PCM16 stereo of `frames` frames (short sides padded). */
export function interleaveStereo(left: Int16Array, right: Int16Array, frames: number): Buffer {
  const out = Buffer.alloc(frames * 4);
  const n = Math.min(frames, left.length);
  const m = Math.min(frames, right.length);
  if (LITTLE_ENDIAN && out.byteOffset % 2 === 0) {
    // The hot path of every call's tick: typed-array stores instead of a Buffer call per sample.
    const v = new Int16Array(out.buffer, out.byteOffset, frames * 2);
    for (let i = 0; i < n; i++) v[2 * i] = left[i]!;
    for (let i = 0; i < m; i++) v[2 * i + 1] = right[i]!;
    return out;
  }
  for (let i = 0; i < n; i++) out.writeInt16LE(left[i]!, i * 4);
  for (let i = 0; i < m; i++) out.writeInt16LE(right[i]!, i * 4 + 2);
  return out;
}

export function monoBytes(samples: Int16Array, frames: number): Buffer {
  const out = Buffer.alloc(frames * 2);
  const n = Math.min(frames, samples.length);
  for (let i = 0; i < n; i++) out.writeInt16LE(samples[i]!, i * 2);
  return out;
}
