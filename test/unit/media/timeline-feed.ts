/**
 * Test helpers for the timeline suites (timeline*.test.ts): arrivals fed on a fake 20 ms tick,
 * played through read()/drain() or readInto(), and the reference decode of a µ-law payload.
 */
import assert from 'node:assert/strict';
import {
  DEFAULT_PAYLOAD_TYPES,
  StreamTimeline,
  createRtpHeader,
  decodeUlaw,
  parseRtp,
  type TimelineOptions,
} from '../../../agent/src/media/index.js';
import { concat, type GenPacket } from './tone.js';

export const ORIGIN = 1_700_000_000_000;

export interface Arrival {
  readonly buf: Buffer;
  readonly arriveMs: number;
}

/**
 * Feeds arrivals on a fake 20 ms tick, calling read(t) after each tick's arrivals and
 * read(endMs, final) at the end.
 */
export function feed(
  tl: StreamTimeline,
  arrivals: readonly Arrival[],
  endMs: number,
  read: (t: number, final: boolean) => void,
): void {
  const sorted = [...arrivals].sort((a, b) => a.arriveMs - b.arriveMs);
  const h = createRtpHeader();
  let i = 0;
  for (let t = ORIGIN; t < endMs; t += 20) {
    while (i < sorted.length && sorted[i]!.arriveMs <= t) {
      const p = sorted[i++]!;
      assert.equal(parseRtp(p.buf, p.buf.length, h), null);
      tl.push(h, p.buf, p.arriveMs);
    }
    read(t, false);
  }
  read(endMs, true);
}

/** Plays arrivals through read() each tick and drain() at endMs. */
export function play(tl: StreamTimeline, arrivals: readonly Arrival[], endMs: number): Int16Array {
  const parts: Int16Array[] = [];
  feed(tl, arrivals, endMs, (t, final) => parts.push(final ? tl.drain(t) : tl.read(t)));
  return concat(parts);
}

/** Like play(), through readInto with a small destination, so every read is split in chunks. */
export function playInto(tl: StreamTimeline, arrivals: readonly Arrival[], endMs: number, chunk: number) {
  const parts: Int16Array[] = [];
  const audibleFlags: boolean[] = [];
  const dst = new Int16Array(chunk).fill(12345);
  feed(tl, arrivals, endMs, (t, final) => {
    for (;;) {
      const due = tl.due(t, final);
      const n = tl.readInto(t, dst, final);
      assert.equal(n, Math.min(due, chunk));
      if (n === 0) return;
      parts.push(dst.slice(0, n));
      audibleFlags.push(tl.lastReadAudible);
      if (!tl.lastReadAudible) assert.ok(dst.subarray(0, n).every((x) => x === 0));
      if (n < chunk) return;
    }
  });
  return { out: concat(parts), audibleFlags };
}

export function timeline(extra: Partial<TimelineOptions> = {}): StreamTimeline {
  return new StreamTimeline({ originMs: ORIGIN, payloadTypes: DEFAULT_PAYLOAD_TYPES, ...extra });
}

export const at = (pkts: readonly GenPacket[], offsetMs = 0): Arrival[] =>
  pkts.map((p) => ({ buf: p.buf, arriveMs: ORIGIN + offsetMs + p.atMs }));

/** What a perfect receiver outputs for a µ-law payload: its G.711 decode. */
export function ulawRef(bytes: Uint8Array): Int16Array {
  const out = new Int16Array(bytes.length);
  decodeUlaw(bytes, 0, bytes.length, out, 0);
  return out;
}
