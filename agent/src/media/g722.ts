/**
 * ITU-T G.722 sub-band ADPCM at 64 kbit/s (mode 1), written from the Recommendation's block
 * descriptions (§3–§4: QMF, QUANTL/INVQAL/INVQBL, LOGSCL/SCALEL, UPPOL1/2, UPZERO, FILTEP/Z).
 * One byte carries a 6-bit lower-band and a 2-bit higher-band code and yields two 16 kHz
 * samples. The codec is stateful: packets must be decoded in order, which is why the timeline
 * buffers payloads and decodes them at play-out rather than on arrival.
 */

const sat16 = (x: number): number => (x > 32767 ? 32767 : x < -32768 ? -32768 : x);

// G.722 Table 9/10 (inverse quantiser outputs, scaled ×8 in Q15 of the scale factor).
const QM6 = Int32Array.from([
  -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232, -9360,
  -8576, -7856, -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776, -2400, -2032, -1688,
  -1360, -1040, -728, 24808, 21904, 19008, 16704, 14984, 13512, 12280, 11192, 10232, 9360, 8576, 7856, 7192,
  6576, 6000, 5456, 4944, 4464, 4008, 3576, 3168, 2776, 2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432,
  -136,
]);
const QM4 = Int32Array.from([
  0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584, 1200, 0,
]);
const QM2 = Int32Array.from([-7408, -1616, 7408, 1616]);
// LOGSCL/LOGSCH: log scale-factor multipliers, indexed through the magnitude maps RL42/RH2.
const WL = Int32Array.from([-60, -30, 58, 172, 334, 538, 1198, 3042]);
const RL42 = Int32Array.from([0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0]);
const WH = Int32Array.from([0, -214, 798]);
const RH2 = Int32Array.from([2, 1, 2, 1]);
// SCALEL/SCALEH: inverse log2 table (Table 16), 2048·2^(i/32).
const ILB = Int32Array.from([
  2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834, 2896, 2960,
  3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
]);
// QUANTL decision levels (Table 11) and the code for each interval, negative/positive.
const Q6 = Int32Array.from([
  0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940, 1023, 1121, 1219,
  1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919,
]);
const ILN = Int32Array.from([
  0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7,
  6, 5, 4,
]);
const ILP = Int32Array.from([
  0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36,
  35, 34, 33, 32,
]);
// QMF coefficients h0,h2,…,h22 and h1,h3,…,h23 (Table 12; the filter is symmetric).
const H_EVEN = Int32Array.from([3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11]);
const H_ODD = Int32Array.from([-11, 53, -156, 362, -805, 3876, 951, -210, 32, 12, -11, 3]);

/** Adaptive predictor state of one sub-band (index 0 = current sample, then delays). */
interface Band {
  s: number;
  sp: number;
  sz: number;
  nb: number;
  det: number;
  readonly r: Int32Array;
  readonly a: Int32Array;
  readonly ap: Int32Array;
  readonly p: Int32Array;
  readonly d: Int32Array;
  readonly b: Int32Array;
  readonly bp: Int32Array;
  readonly sg: Int32Array;
}

function newBand(det: number): Band {
  const z = (n: number): Int32Array => new Int32Array(n);
  return {
    s: 0,
    sp: 0,
    sz: 0,
    nb: 0,
    det,
    r: z(3),
    a: z(3),
    ap: z(3),
    p: z(3),
    d: z(7),
    b: z(7),
    bp: z(7),
    sg: z(7),
  };
}

/** Blocks 4L/4H: reconstruct, adapt the pole and zero predictors, predict the next sample. */
function adapt(band: Band, d: number): void {
  const { r, a, ap, p, b, bp, sg } = band;
  const dl = band.d;
  dl[0] = d;
  r[0] = sat16(band.s + d);
  p[0] = sat16(band.sz + d);
  // UPPOL2
  sg[0] = p[0]! >> 15;
  sg[1] = p[1]! >> 15;
  sg[2] = p[2]! >> 15;
  const f = sat16(a[1]! * 4);
  let wd2 = sg[0] === sg[1] ? -f : f;
  if (wd2 > 32767) wd2 = 32767;
  let wd3 = (sg[0] === sg[2] ? 128 : -128) + (wd2 >> 7) + ((a[2]! * 32512) >> 15);
  ap[2] = wd3 > 12288 ? 12288 : wd3 < -12288 ? -12288 : wd3;
  // UPPOL1
  const ap1 = sat16((sg[0] === sg[1] ? 192 : -192) + ((a[1]! * 32640) >> 15));
  wd3 = sat16(15360 - ap[2]!);
  ap[1] = ap1 > wd3 ? wd3 : ap1 < -wd3 ? -wd3 : ap1;
  // UPZERO
  const step = d === 0 ? 0 : 128;
  const sgd = d >> 15;
  for (let i = 1; i < 7; i++) {
    const inc = dl[i]! >> 15 === sgd ? step : -step;
    bp[i] = sat16(inc + ((b[i]! * 32640) >> 15));
  }
  // DELAYA
  for (let i = 6; i > 0; i--) {
    dl[i] = dl[i - 1]!;
    b[i] = bp[i]!;
  }
  for (let i = 2; i > 0; i--) {
    r[i] = r[i - 1]!;
    p[i] = p[i - 1]!;
    a[i] = ap[i]!;
  }
  // FILTEP, FILTEZ, PREDIC
  band.sp = sat16(((a[1]! * sat16(r[1]! + r[1]!)) >> 15) + ((a[2]! * sat16(r[2]! + r[2]!)) >> 15));
  let sz = 0;
  for (let i = 6; i > 0; i--) sz += (b[i]! * sat16(dl[i]! + dl[i]!)) >> 15;
  band.sz = sat16(sz);
  band.s = sat16(band.sp + band.sz);
}

function scale(nb: number, shiftBase: number): number {
  const shift = shiftBase - (nb >> 11);
  const v = ILB[(nb >> 6) & 31]!;
  return (shift < 0 ? v << -shift : v >> shift) << 2;
}

/** INVQAL + LOGSCL + SCALEL + block 4L, shared by encoder and decoder. */
function updateLow(band: Band, ilow: number): void {
  const dlow = (band.det * QM4[ilow >> 2]!) >> 15;
  let nb = ((band.nb * 127) >> 7) + WL[RL42[ilow >> 2]!]!;
  nb = nb < 0 ? 0 : nb > 18432 ? 18432 : nb;
  band.nb = nb;
  band.det = scale(nb, 8);
  adapt(band, dlow);
}

/** INVQAH + LOGSCH + SCALEH + block 4H. */
function updateHigh(band: Band, ihigh: number, dhigh: number): void {
  let nb = ((band.nb * 127) >> 7) + WH[RH2[ihigh]!]!;
  nb = nb < 0 ? 0 : nb > 22528 ? 22528 : nb;
  band.nb = nb;
  band.det = scale(nb, 10);
  adapt(band, dhigh);
}

export interface G722State {
  readonly low: Band;
  readonly high: Band;
  /** QMF history, newest first: decoder keeps xd/xs, encoder keeps 24 input samples. */
  readonly hist1: Int32Array;
  readonly hist2: Int32Array;
}

/** Fresh state for one direction of one stream (reset on SSRC change or re-anchor). */
export function createG722State(): G722State {
  return { low: newBand(32), high: newBand(8), hist1: new Int32Array(24), hist2: new Int32Array(24) };
}

/** Decodes `len` G.722 bytes into 2·len PCM16 samples at 16 kHz; returns samples written. */
export function decodeG722(
  st: G722State,
  src: Uint8Array,
  off: number,
  len: number,
  dst: Int16Array,
  dstOff: number,
): number {
  const { low, high } = st;
  const xd = st.hist1;
  const xs = st.hist2;
  let o = dstOff;
  for (let n = 0; n < len; n++) {
    const code = src[off + n]!;
    const ilow = code & 0x3f;
    const ihigh = code >> 6;
    let rlow = low.s + ((low.det * QM6[ilow]!) >> 15);
    rlow = rlow > 16383 ? 16383 : rlow < -16384 ? -16384 : rlow;
    updateLow(low, ilow);
    const dhigh = (high.det * QM2[ihigh]!) >> 15;
    let rhigh = dhigh + high.s;
    rhigh = rhigh > 16383 ? 16383 : rhigh < -16384 ? -16384 : rhigh;
    updateHigh(high, ihigh, dhigh);
    // Receive QMF: xout1 = Σ h(2i)·xd(j−i), xout2 = Σ h(2i+1)·xs(j−i); ×2 and the 16-bit
    // output scale (the encoder halves its input) make the shift 11.
    for (let i = 11; i > 0; i--) {
      xd[i] = xd[i - 1]!;
      xs[i] = xs[i - 1]!;
    }
    xd[0] = rlow - rhigh;
    xs[0] = rlow + rhigh;
    let out1 = 0;
    let out2 = 0;
    for (let i = 0; i < 12; i++) {
      out1 += H_EVEN[i]! * xd[i]!;
      out2 += H_ODD[i]! * xs[i]!;
    }
    dst[o++] = sat16(out1 >> 11);
    dst[o++] = sat16(out2 >> 11);
  }
  return o - dstOff;
}

/** Encodes an even number of 16 kHz PCM16 samples to G.722 bytes (tests, load generator). */
export function encodeG722(st: G722State, pcm: Int16Array): Uint8Array {
  const { low, high } = st;
  const x = st.hist1;
  const out = new Uint8Array(pcm.length >> 1);
  for (let n = 0; n < out.length; n++) {
    for (let i = 23; i > 1; i--) x[i] = x[i - 2]!;
    x[1] = pcm[2 * n]!;
    x[0] = pcm[2 * n + 1]!;
    // Transmit QMF: xA = Σ h(2i)·x(j−2i), xB = Σ h(2i+1)·x(j−2i−1); >>14 also maps 16→15 bits.
    let xa = 0;
    let xb = 0;
    for (let i = 0; i < 12; i++) {
      xa += H_EVEN[i]! * x[2 * i]!;
      xb += H_ODD[i]! * x[2 * i + 1]!;
    }
    const xlow = (xa + xb) >> 14;
    const xhigh = (xa - xb) >> 14;
    // QUANTL: find the interval of |el| against the scaled decision levels.
    const el = sat16(xlow - low.s);
    const wdl = el >= 0 ? el : -(el + 1);
    let i = 1;
    while (i < 30 && wdl >= (Q6[i]! * low.det) >> 12) i++;
    const ilow = el < 0 ? ILN[i]! : ILP[i]!;
    updateLow(low, ilow);
    // QUANTH: two levels per sign.
    const eh = sat16(xhigh - high.s);
    const wdh = eh >= 0 ? eh : -(eh + 1);
    const mih = wdh >= (564 * high.det) >> 12 ? 2 : 1;
    const ihigh = eh < 0 ? (mih === 2 ? 0 : 1) : mih === 2 ? 2 : 3;
    updateHigh(high, ihigh, (high.det * QM2[ihigh]!) >> 15);
    out[n] = (ihigh << 6) | ilow;
  }
  return out;
}
