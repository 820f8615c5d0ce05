/**
 * The write path of a CallRecorder: reads each channel's next pass from its streams (mixing
 * the streams of one channel), lays it out in the writer's segment buffer (interleaved when
 * stereo, silence when paused or nothing decoded) and hands it to live listeners.
 */
import type { RtpStream } from '../media/index.js';
import type { VaultWriter } from '../vault/index.js';
import { addClipped, interleaveInto } from './mixdown.js';
import type { LiveTaps } from './live-tap.js';

/**
 * Samples per channel per pass. Per-channel scratch is shared by every recorder: ticks run
 * one at a time, and a pass is written to the vault before the next recorder reads.
 */
const CHUNK = 4096;
const scratchLeft = new Int16Array(CHUNK);
const scratchRight = new Int16Array(CHUNK);
const scratchMix = new Int16Array(CHUNK);

/** Reads one channel's next pass into dst and returns its length (see channelAudible). */
function readChannel(group: readonly RtpStream[], untilMs: number, final: boolean, dst: Int16Array): number {
  if (group.length === 0) return 0;
  let len = group[0]!.readInto(untilMs, dst, final);
  for (let g = 1; g < group.length; g++) {
    const stream = group[g]!;
    const n = stream.readInto(untilMs, scratchMix, final);
    if (!stream.lastReadAudible) continue;
    if (n > len) {
      dst.fill(0, len, n);
      len = n;
    }
    addClipped(dst, scratchMix, n);
  }
  return len;
}

/** Whether the pass readChannel just read from group holds any decoded audio. */
function channelAudible(group: readonly RtpStream[]): boolean {
  for (let g = 0; g < group.length; g++) if (group[g]!.lastReadAudible) return true;
  return false;
}

export class PcmPump {
  readonly #writer: VaultWriter;
  readonly #channels: 1 | 2;
  readonly #left: readonly RtpStream[];
  readonly #right: readonly RtpStream[];
  readonly #taps: LiveTaps;

  constructor(
    writer: VaultWriter,
    channels: 1 | 2,
    left: readonly RtpStream[],
    right: readonly RtpStream[],
    taps: LiveTaps,
  ) {
    this.#writer = writer;
    this.#channels = channels;
    this.#left = left;
    this.#right = right;
    this.#taps = taps;
  }

  /**
   * Moves everything due from the streams into the writer's segment buffer, in passes of at
   * most CHUNK frames (a normal tick is one pass: 200 ms is 1 600 or 3 200 frames).
   */
  pull(untilMs: number, final: boolean, paused: boolean): void {
    for (;;) {
      const leftLen = readChannel(this.#left, untilMs, final, scratchLeft);
      const rightLen = readChannel(this.#right, untilMs, final, scratchRight);
      const silent = paused || !(channelAudible(this.#left) || channelAudible(this.#right));
      const frames = leftLen > rightLen ? leftLen : rightLen;
      if (frames === 0) return;
      this.#write(frames, leftLen, rightLen, silent);
      if (frames < CHUNK) return;
    }
  }

  /** Lays one pass into the segment buffer, across a segment boundary when it has to. */
  #write(frames: number, leftLen: number, rightLen: number, silent: boolean): void {
    const w = this.#writer;
    const ch = this.#channels;
    let done = 0;
    while (done < frames) {
      const pcm = w.pcm;
      const at = w.pcmIndex;
      const k = Math.min(Math.floor(w.pcmRoom / ch), frames - done);
      if (silent) pcm.fill(0, at, at + k * ch);
      else if (ch === 2) interleaveInto(pcm, at, scratchLeft, leftLen, scratchRight, rightLen, done, k);
      else pcm.set(scratchLeft.subarray(done, done + k), at);
      w.commitPcm(k * ch);
      // No allocation per tick when nobody listens (the load design of issue 6).
      if (this.#taps.size > 0) this.#taps.push(pcm.subarray(at, at + k * ch));
      done += k;
    }
  }
}
