/**
 * How late the event loop runs, for shedding load. When the daemon cannot keep up, packets
 * wait in socket buffers and every call's timing degrades; refusing new calls (503, the SBC
 * tries another recorder or retries later) keeps the running ones whole. Measured with
 * perf_hooks' event-loop delay histogram, read and reset once per window.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export class LoopLagMonitor {
  readonly #hist: IntervalHistogram;
  readonly #timer: NodeJS.Timeout;
  #p99Ms = 0;

  constructor(windowMs = 1000) {
    this.#hist = monitorEventLoopDelay({ resolution: 10 });
    this.#hist.enable();
    this.#timer = setInterval(() => {
      this.#p99Ms = this.#hist.count > 0 ? this.#hist.percentile(99) / 1e6 : 0;
      this.#hist.reset();
    }, windowMs);
    this.#timer.unref();
  }

  /** p99 event-loop delay (ms) over the last complete window. */
  get p99Ms(): number {
    return this.#p99Ms;
  }

  close(): void {
    clearInterval(this.#timer);
    this.#hist.disable();
  }
}
