/** PCM with known DTMF digits (and deterministic noise under them), for the detector's tests. */
import { DTMF_HIGH_HZ, DTMF_LOW_HZ } from '../../agent/src/training/dtmf-detect.js';

const KEYS = ['123A', '456B', '789C', '*0#D'];

/** A deterministic noise source (xorshift), so a failure reproduces. */
function noise(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 0xffffffff) * 2 - 1;
  };
}

/** Digits of `toneS` each with `gapS` between, amplitude `amp` per tone, over noise at `noiseAmp`. */
export function dtmfPcm(
  digits: string,
  rate: number,
  opts: { toneS?: number; gapS?: number; amp?: number; noiseAmp?: number; leadS?: number } = {},
): { pcm: Int16Array; at: number[] } {
  const { toneS = 0.08, gapS = 0.08, amp = 0.25, noiseAmp = 0.003, leadS = 0.1 } = opts;
  const total = Math.ceil((leadS * 2 + digits.length * (toneS + gapS)) * rate);
  const pcm = new Int16Array(total);
  const rnd = noise(7);
  for (let i = 0; i < total; i++) pcm[i] = Math.round(rnd() * noiseAmp * 32767);
  const at: number[] = [];
  [...digits].forEach((d, k) => {
    const row = KEYS.findIndex((r) => r.includes(d));
    const col = KEYS[row]!.indexOf(d);
    const start = Math.round((leadS + k * (toneS + gapS)) * rate);
    at.push(start);
    for (let i = 0; i < Math.round(toneS * rate); i++) {
      const t = i / rate;
      const v =
        amp * Math.sin(2 * Math.PI * DTMF_LOW_HZ[row]! * t) +
        amp * Math.sin(2 * Math.PI * DTMF_HIGH_HZ[col]! * t);
      pcm[start + i] = Math.max(-32768, Math.min(32767, pcm[start + i]! + Math.round(v * 32767)));
    }
  });
  return { pcm, at };
}
