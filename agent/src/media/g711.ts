/**
 * ITU-T G.711 µ-law and A-law, table driven. Decoding is one lookup per byte into a 256-entry
 * table; encoding (load generator, tests) goes through 64 Ki-entry tables built once at load.
 * Decoded values follow the G.711 tables scaled to 16 bits: µ-law ±32124, A-law ±32256.
 */

function ulawToLinear(code: number): number {
  const u = ~code & 0xff;
  const exponent = (u >> 4) & 0x07;
  // The bias 0x84 (132) makes each segment's steps line up (G.711 Table 2a).
  const magnitude = ((((u & 0x0f) << 3) + 0x84) << exponent) - 0x84;
  return (u & 0x80) !== 0 ? -magnitude : magnitude;
}

function alawToLinear(code: number): number {
  // Even bits are inverted on the wire (G.711 §3.2) to keep the line busy on silence.
  const a = code ^ 0x55;
  const exponent = (a >> 4) & 0x07;
  const mantissa = a & 0x0f;
  const magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  // A-law's sign bit set means positive, the opposite of µ-law.
  return (a & 0x80) !== 0 ? magnitude : -magnitude;
}

const ULAW_CLIP = 32635;
const ULAW_BIAS = 0x84;

function linearToUlaw(pcm: number): number {
  let sign = 0;
  let x = pcm;
  if (x < 0) {
    sign = 0x80;
    x = -x;
  }
  if (x > ULAW_CLIP) x = ULAW_CLIP;
  x += ULAW_BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (x & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (x >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

function linearToAlaw(pcm: number): number {
  let mask: number;
  // A-law quantises the 13 most significant bits.
  let x = pcm >> 3;
  if (x >= 0) {
    mask = 0xd5;
  } else {
    mask = 0x55;
    x = -x - 1;
  }
  let segment = 0;
  while (segment < 8 && x > (0x20 << segment) - 1) segment++;
  if (segment >= 8) return 0x7f ^ mask;
  const mantissa = segment < 2 ? (x >> 1) & 0x0f : (x >> segment) & 0x0f;
  return ((segment << 4) | mantissa) ^ mask;
}

function table256(fn: (code: number) => number): Int16Array {
  const t = new Int16Array(256);
  for (let i = 0; i < 256; i++) t[i] = fn(i);
  return t;
}

function table64k(fn: (pcm: number) => number): Uint8Array {
  const t = new Uint8Array(65536);
  for (let i = 0; i < 65536; i++) t[i] = fn(i - 32768);
  return t;
}

/** µ-law byte → PCM16 sample. */
export const ULAW_DECODE: Readonly<Int16Array> = table256(ulawToLinear);
/** A-law byte → PCM16 sample. */
export const ALAW_DECODE: Readonly<Int16Array> = table256(alawToLinear);
/** Indexed by sample + 32768. */
const ULAW_ENCODE = table64k(linearToUlaw);
const ALAW_ENCODE = table64k(linearToAlaw);

/** Decodes `len` bytes of `src` from `off` into `dst` at `dstOff`; returns samples written. */
export function decodeG711(
  table: Readonly<Int16Array>,
  src: Uint8Array,
  off: number,
  len: number,
  dst: Int16Array,
  dstOff: number,
): number {
  for (let i = 0; i < len; i++) dst[dstOff + i] = table[src[off + i]!]!;
  return len;
}

export function decodeUlaw(
  src: Uint8Array,
  off: number,
  len: number,
  dst: Int16Array,
  dstOff: number,
): number {
  return decodeG711(ULAW_DECODE, src, off, len, dst, dstOff);
}

export function decodeAlaw(
  src: Uint8Array,
  off: number,
  len: number,
  dst: Int16Array,
  dstOff: number,
): number {
  return decodeG711(ALAW_DECODE, src, off, len, dst, dstOff);
}

/** PCM16 → µ-law bytes (new buffer; for tests and the load generator, not the hot path). */
export function encodeUlaw(pcm: Int16Array): Uint8Array {
  const out = new Uint8Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = ULAW_ENCODE[pcm[i]! + 32768]!;
  return out;
}

/** PCM16 → A-law bytes (new buffer; for tests and the load generator). */
export function encodeAlaw(pcm: Int16Array): Uint8Array {
  const out = new Uint8Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = ALAW_ENCODE[pcm[i]! + 32768]!;
  return out;
}
