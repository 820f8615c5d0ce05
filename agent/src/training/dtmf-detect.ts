/**
 * In-band DTMF detection on decoded PCM (one channel): the Goertzel algorithm on the eight DTMF
 * frequencies, in blocks of 25.6 ms (205 samples at 8 kHz, the classic size that separates the
 * row tones 73 Hz apart) advanced by half a block, with the checks of ITU-T Q.24-style receivers:
 * - both tones present: the strongest row and column tone each at least MIN_TONE_AMPLITUDE;
 * - twist: the two within TWIST_DB of each other;
 * - each the clear winner of its group (PEAK_RATIO over the runner-up);
 * - together most of the block's energy (MIN_TONE_SHARE), which speech and music seldom reach.
 * A digit is a run of at least `minBlocks` consecutive blocks with the same pair.
 */

export const DTMF_LOW_HZ = [697, 770, 852, 941] as const;
export const DTMF_HIGH_HZ = [1209, 1336, 1477, 1633] as const;
const KEYS = ['123A', '456B', '789C', '*0#D'] as const;

/** Block length in seconds: 205 samples at 8 kHz. */
const BLOCK_S = 205 / 8000;
/** A tone of amplitude 0.01 of full scale is -40 dBFS: far below the -4..-10 dBm0 of real DTMF. */
const MIN_TONE_AMPLITUDE = 0.01;
const TWIST_DB = 8;
/** 6 dB (power ratio 4) between the strongest tone of a group and the next. */
const PEAK_RATIO = 4;
const MIN_TONE_SHARE = 0.5;

export interface DtmfSpan {
  readonly digit: string;
  /** First sample of the first block in which the pair was found. */
  readonly start: number;
  /** One past the last sample of the last such block. */
  readonly end: number;
}

export interface DetectOptions {
  /** Consecutive half-block steps a digit must last; default 2 (≥ 38 ms: Q.24 accepts ≥ 40 ms tones). */
  readonly minBlocks?: number;
}

/** Squared amplitude of the component at `hz` in x[from, from+n) (Goertzel, normalised). */
function toneAmplitude2(x: Int16Array, from: number, n: number, hz: number, rate: number): number {
  const coeff = 2 * Math.cos((2 * Math.PI * hz) / rate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s0 = x[from + i]! / 32768 + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  // A sinusoid of amplitude A over n samples gives power ≈ (A·n/2)².
  return (4 * power) / (n * n);
}

function strongest(amps: readonly number[]): { index: number; value: number; runnerUp: number } {
  let index = 0;
  for (let i = 1; i < amps.length; i++) if (amps[i]! > amps[index]!) index = i;
  const runnerUp = Math.max(...amps.filter((_, i) => i !== index));
  return { index, value: amps[index]!, runnerUp };
}

/** The digit whose pair dominates x[from, from+n), or null. */
export function blockDigit(x: Int16Array, from: number, n: number, rate: number): string | null {
  let energy = 0;
  for (let i = 0; i < n; i++) {
    const v = x[from + i]! / 32768;
    energy += v * v;
  }
  const meanSquare = energy / n;
  const minA2 = MIN_TONE_AMPLITUDE * MIN_TONE_AMPLITUDE;
  // Two tones at the minimum amplitude have mean square minA2: nothing quieter can hold a digit.
  if (meanSquare < minA2) return null;
  const low = strongest(DTMF_LOW_HZ.map((hz) => toneAmplitude2(x, from, n, hz, rate)));
  const high = strongest(DTMF_HIGH_HZ.map((hz) => toneAmplitude2(x, from, n, hz, rate)));
  if (low.value < minA2 || high.value < minA2) return null;
  const twist = 10 ** (TWIST_DB / 10);
  if (high.value > low.value * twist || low.value > high.value * twist) return null;
  if (low.value < low.runnerUp * PEAK_RATIO || high.value < high.runnerUp * PEAK_RATIO) return null;
  // A tone of amplitude A carries A²/2 of mean square.
  if ((low.value + high.value) / 2 < MIN_TONE_SHARE * meanSquare) return null;
  return KEYS[low.index]![high.index]!;
}

export function blockSize(rate: number): number {
  return Math.round(rate * BLOCK_S);
}

/** Every DTMF digit in one channel of 16-bit PCM at `rate` Hz, in time order. */
export function detectDtmf(x: Int16Array, rate: number, opts: DetectOptions = {}): DtmfSpan[] {
  const n = blockSize(rate);
  const hop = Math.max(1, Math.floor(n / 2));
  const minBlocks = opts.minBlocks ?? 2;
  const spans: DtmfSpan[] = [];
  let run: { digit: string; start: number; end: number; blocks: number } | null = null;
  const close = (): void => {
    if (run !== null && run.blocks >= minBlocks)
      spans.push({ digit: run.digit, start: run.start, end: run.end });
    run = null;
  };
  for (let from = 0; from + n <= x.length; from += hop) {
    const digit = blockDigit(x, from, n, rate);
    if (digit !== null && run !== null && run.digit === digit) {
      run.end = from + n;
      run.blocks++;
      continue;
    }
    close();
    if (digit !== null) run = { digit, start: from, end: from + n, blocks: 1 };
  }
  close();
  return spans;
}
