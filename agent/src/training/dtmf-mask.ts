/**
 * Masks in-band DTMF in multi-channel PCM: every span detected on any channel (even one block
 * long: a masked 25 ms of speech costs nothing, a digit left audible may be a card number) is
 * widened by a margin on both sides and replaced by silence on every channel — a digit the
 * customer keys is often heard, fainter, on the agent's channel too.
 */
import { blockSize, detectDtmf } from './dtmf-detect.js';

/** Widening on each side of a detected span (at least one block), so a tone's ragged edges go too. */
export const MASK_MARGIN_S = 0.04;

export interface MaskResult {
  /** Channels with the spans silenced (new arrays; the input is left as it was). */
  readonly channels: Int16Array[];
  /** Silenced sample ranges [start, end), merged, in time order. */
  readonly spans: readonly (readonly [number, number])[];
}

function merge(ranges: [number, number][]): [number, number][] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

export function maskDtmf(channels: readonly Int16Array[], rate: number): MaskResult {
  const length = channels[0]?.length ?? 0;
  const margin = Math.max(Math.round(rate * MASK_MARGIN_S), blockSize(rate));
  const ranges: [number, number][] = [];
  for (const ch of channels) {
    for (const s of detectDtmf(ch, rate, { minBlocks: 1 }))
      ranges.push([Math.max(0, s.start - margin), Math.min(length, s.end + margin)]);
  }
  const spans = merge(ranges);
  const out = channels.map((ch) => {
    const copy = Int16Array.from(ch);
    for (const [a, b] of spans) copy.fill(0, a, b);
    return copy;
  });
  return { channels: out, spans };
}
