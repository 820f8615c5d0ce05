/**
 * One timer for every recording in the process. A timer per call cost a libuv timer callback,
 * a closure call and a clock read per call per tick (1 250 calls × 10 ticks/s); one shared
 * interval walks the active recorders in one go instead. Tasks catch their own errors: one
 * failing call must not stop the others' audio.
 */

export interface Tickable {
  tick(): void;
}

export class TickScheduler {
  readonly intervalMs: number;
  readonly #tasks = new Set<Tickable>();
  #timer: NodeJS.Timeout | null = null;

  constructor(intervalMs: number) {
    if (!Number.isInteger(intervalMs) || intervalMs < 1)
      throw new RangeError(`tick interval must be a positive integer (ms), got ${intervalMs}`);
    this.intervalMs = intervalMs;
  }

  get size(): number {
    return this.#tasks.size;
  }

  add(task: Tickable): void {
    this.#tasks.add(task);
    if (this.#timer === null) {
      this.#timer = setInterval(() => this.#run(), this.intervalMs);
      // Recordings end through their calls; an idle timer must not keep a CLI process alive.
      this.#timer.unref();
    }
  }

  delete(task: Tickable): void {
    this.#tasks.delete(task);
    if (this.#tasks.size === 0 && this.#timer !== null) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }

  #run(): void {
    // A task may delete itself (call ended) while we iterate: Set iteration allows that.
    for (const task of this.#tasks) task.tick();
  }
}

const shared = new Map<number, TickScheduler>();

/** The process-wide scheduler for one interval. */
export function sharedTickScheduler(intervalMs: number): TickScheduler {
  let s = shared.get(intervalMs);
  if (s === undefined) {
    s = new TickScheduler(intervalMs);
    shared.set(intervalMs, s);
  }
  return s;
}
