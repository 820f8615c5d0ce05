/**
 * Per-source token buckets (messages per second, burst of one second's worth) and a log limiter,
 * so one flooding or broken peer costs a bounded amount of work and log volume.
 */

export class SourceRateLimiter {
  readonly #ratePerSecond: number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #maxSources: number;

  constructor(ratePerSecond: number, maxSources = 65_536) {
    this.#ratePerSecond = ratePerSecond;
    this.#maxSources = maxSources;
  }

  /** Takes one token for `source`; false when the source is over its rate. */
  allow(source: string, nowMs: number): boolean {
    let b = this.#buckets.get(source);
    if (b === undefined) {
      // Bounded memory under a spoofed-source flood: forget every idle bucket first.
      if (this.#buckets.size >= this.#maxSources) this.prune(nowMs);
      if (this.#buckets.size >= this.#maxSources) this.#buckets.clear();
      b = { tokens: this.#ratePerSecond, at: nowMs };
      this.#buckets.set(source, b);
    }
    b.tokens = Math.min(this.#ratePerSecond, b.tokens + ((nowMs - b.at) / 1000) * this.#ratePerSecond);
    b.at = nowMs;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Drops buckets that have refilled completely: they carry no state worth keeping. */
  prune(nowMs: number): void {
    for (const [k, b] of this.#buckets) {
      if (b.tokens + ((nowMs - b.at) / 1000) * this.#ratePerSecond >= this.#ratePerSecond)
        this.#buckets.delete(k);
    }
  }

  get size(): number {
    return this.#buckets.size;
  }
}

/** Allows `perSecond` log lines per one-second window and counts what it suppressed. */
export class LogLimiter {
  readonly #perSecond: number;
  #windowStart = 0;
  #inWindow = 0;
  #suppressed = 0;

  constructor(perSecond: number) {
    this.#perSecond = perSecond;
  }

  /** Returns the number suppressed since the last allowed line, or -1 when this one is suppressed. */
  take(nowMs: number): number {
    if (nowMs - this.#windowStart >= 1000) {
      this.#windowStart = nowMs;
      this.#inWindow = 0;
    }
    if (this.#inWindow >= this.#perSecond) {
      this.#suppressed++;
      return -1;
    }
    this.#inWindow++;
    const s = this.#suppressed;
    this.#suppressed = 0;
    return s;
  }
}
