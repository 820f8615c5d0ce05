/**
 * How late the event loop runs, for shedding load. When the daemon cannot keep up, packets
 * wait in socket buffers and every call's timing degrades; refusing new calls (503, the SBC
 * tries another recorder or retries later) keeps the running ones whole.
 *
 * Sampled by a timer of its own every `resolutionMs`: each sample is the time since the last
 * one (≈ resolutionMs on a free loop, the length of the stall after a blocked one), and the
 * window is rolled over in the same callback. perf_hooks' monitorEventLoopDelay was used
 * before: its reset() also forgets the time of its last sample, so when the window's timer ran
 * before the histogram's after a stall — both overdue, in either order — the stall was never
 * recorded (seen as a full test run's flake: a 300 ms block read as 11 ms).
 */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

export class LoopLagMonitor {
  readonly #hist: RecordableHistogram = createHistogram();
  readonly #timer: NodeJS.Timeout;
  #p99Ms = 0;

  constructor(windowMs = 1000, resolutionMs = 10) {
    let prev = performance.now();
    let windowStart = prev;
    this.#timer = setInterval(() => {
      const now = performance.now();
      // In µs: the histogram takes integers ≥ 1.
      this.#hist.record(Math.max(1, Math.round((now - prev) * 1000)));
      prev = now;
      if (now - windowStart < windowMs) return;
      this.#p99Ms = this.#hist.percentile(99) / 1000;
      this.#hist.reset();
      windowStart = now;
    }, resolutionMs);
    this.#timer.unref();
  }

  /** p99 event-loop delay (ms) over the last complete window. */
  get p99Ms(): number {
    return this.#p99Ms;
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
