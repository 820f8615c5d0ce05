import type { RefusalCode } from './errors.js';

/** Call counters for metrics: plain numbers read at scrape time, never per-packet work. */
export class CallStats {
  #started = 0;
  #discarded = 0;
  #failed = 0;
  /** By refusal: a bounded set of labels (REFUSAL_CODES). */
  readonly #rejected = new Map<RefusalCode, number>();
  readonly #ended = new Map<string, number>();

  started(): void {
    this.#started++;
  }

  discarded(): void {
    this.#discarded++;
  }

  failed(): void {
    this.#failed++;
  }

  rejected(reason: RefusalCode): void {
    this.#rejected.set(reason, (this.#rejected.get(reason) ?? 0) + 1);
  }

  finished(reason: string): void {
    this.#ended.set(reason, (this.#ended.get(reason) ?? 0) + 1);
  }

  snapshot(): {
    started: number;
    discarded: number;
    failed: number;
    rejected: Record<string, number>;
    ended: Record<string, number>;
  } {
    return {
      started: this.#started,
      discarded: this.#discarded,
      failed: this.#failed,
      rejected: Object.fromEntries(this.#rejected),
      ended: Object.fromEntries(this.#ended),
    };
  }
}
