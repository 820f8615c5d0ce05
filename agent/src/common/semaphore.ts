/**
 * A counting semaphore for async work: at most `limit` holders at once, the rest wait in
 * arrival order. Used where many callers may start the same memory-hungry job together (the
 * vault's final digest pass when a trunk drops a thousand calls at once).
 */
export class Semaphore {
  readonly limit: number;
  #held = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('semaphore limit must be an integer ≥ 1');
    this.limit = limit;
  }

  get held(): number {
    return this.#held;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** Runs fn once a place is free; the place is given back however fn ends. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#held < this.limit) this.#held++;
    // A released place passes straight to the next waiter, so #held stays counted for it.
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      if (next !== undefined) next();
      else this.#held--;
    }
  }
}
