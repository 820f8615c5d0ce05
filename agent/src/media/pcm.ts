/**
 * Small PCM16 helpers for the play-out path: 2:1 rate conversion between the two rates we
 * decode (8 and 16 kHz) and placing decoded samples on the output timeline.
 */

/**
 * Converts `count` samples between 8000 and 16000 Hz into `dst`; returns samples written.
 * Up: linear interpolation. Down: mean of each pair (a crude but alias-damping low-pass).
 * Equal rates copy. Other ratios are refused by the timeline's options.
 */
export function resampleInto(
  src: Int16Array,
  count: number,
  fromRate: number,
  toRate: number,
  dst: Int16Array,
): number {
  if (toRate === fromRate) {
    dst.set(src.subarray(0, count));
    return count;
  }
  if (toRate === fromRate * 2) {
    for (let i = 0; i < count; i++) {
      const a = src[i]!;
      const b = i + 1 < count ? src[i + 1]! : a;
      dst[2 * i] = a;
      dst[2 * i + 1] = (a + b) >> 1;
    }
    return count * 2;
  }
  const n = count >> 1;
  for (let i = 0; i < n; i++) dst[i] = (src[2 * i]! + src[2 * i + 1]!) >> 1;
  return n;
}

/**
 * Writes `count` samples of `src` at offset `start` of `out[0, n)`; what falls past `n` goes to
 * `carry` (which continues `out`). Samples before 0 were already emitted and are skipped.
 * Returns the new carry length.
 */
export function placeSamples(
  src: Int16Array,
  count: number,
  start: number,
  out: Int16Array,
  carry: Int16Array,
  carryLen: number,
  n: number = out.length,
): number {
  let len = carryLen;
  const first = start < 0 ? -start : 0;
  for (let i = first; i < count; i++) {
    const o = start + i;
    if (o < n) {
      out[o] = src[i]!;
    } else {
      const c = o - n;
      if (c >= carry.length) break;
      if (c > len) carry.fill(0, len, c);
      carry[c] = src[i]!;
      if (c + 1 > len) len = c + 1;
    }
  }
  return len;
}
