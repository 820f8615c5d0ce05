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
  #prev = performance.now();
  #windowStart = this.#prev;

  constructor(windowMs = 1000, resolutionMs = 10) {
    this.#timer = setInterval(() => {
      const now = performance.now();
      // In µs: the histogram takes integers ≥ 1.
      this.#hist.record(Math.max(1, Math.round((now - this.#prev) * 1000)));
      this.#prev = now;
      if (now - this.#windowStart < windowMs) return;
      this.#p99Ms = this.#hist.percentile(99) / 1000;
      this.#hist.reset();
      this.#windowStart = now;
    }, resolutionMs);
    this.#timer.unref();
  }

  /**
   * Forgets what was measured so far and starts a new window now. The daemon calls it when it is
   * ready: start-up runs long synchronous steps (a certificate generated on the first start, the
   * index opened) that say nothing about how it keeps up with calls, and would otherwise refuse
   * the first calls after `ready` with 503.
   */
  restart(): void {
    this.#hist.reset();
    this.#p99Ms = 0;
    this.#prev = performance.now();
    this.#windowStart = this.#prev;
  }

  /** p99 event-loop delay (ms) over the last complete window. */
  get p99Ms(): number {
    return this.#p99Ms;
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
