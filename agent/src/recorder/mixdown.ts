/**
 * Channel layout: pure, allocation-free functions that lay per-side PCM (Int16 at one rate)
 * into the interleaved sample buffer the vault seals. Stereo = left customer, right agent
 * (seed 001: agent and customer are told apart). A side with several streams is summed with
 * clipping; a missing side is silence. They run once per call per tick, so they write into
 * buffers the caller owns instead of returning new ones.
 */

/** dst[i] += src[i] for i < n, clipped to Int16. */
export function addClipped(dst: Int16Array, src: Int16Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const s = dst[i]! + src[i]!;
    dst[i] = s > 32767 ? 32767 : s < -32768 ? -32768 : s;
  }
}

/**
 * Writes `frames` stereo frames at sample index `at` of dst: left[from + i] and right[from + i].
 * Samples past a side's `…Len` are silence (the shorter side is padded).
 */
export function interleaveInto(
  dst: Int16Array,
  at: number,
  left: Int16Array,
  leftLen: number,
  right: Int16Array,
  rightLen: number,
  from: number,
  frames: number,
): void {
  // Where both channels have samples (nearly always all of it), no per-sample bounds test.
  const both = Math.max(0, Math.min(frames, leftLen - from, rightLen - from));
  let o = at;
  for (let k = from, end = from + both; k < end; k++, o += 2) {
    dst[o] = left[k]!;
    dst[o + 1] = right[k]!;
  }
  for (let i = both; i < frames; i++) {
    const k = from + i;
    const q = at + 2 * i;
    dst[q] = k < leftLen ? left[k]! : 0;
    dst[q + 1] = k < rightLen ? right[k]! : 0;
  }
}
