/**
 * Slows password guessing: after MAX_FAILURES failed logins for one user name (from anywhere)
 * within WINDOW_MS, further attempts for it are refused with 429 until the window passes. Keyed
 * by user name so a distributed guesser gains nothing; a success clears the count.
 */
export const MAX_FAILURES = 5;
export const WINDOW_MS = 15 * 60_000;

export class LoginThrottle {
  readonly #failures = new Map<string, number[]>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  #recent(user: string): number[] {
    const cutoff = this.#now() - WINDOW_MS;
    const list = (this.#failures.get(user) ?? []).filter((t) => t > cutoff);
    if (list.length === 0) this.#failures.delete(user);
    else this.#failures.set(user, list);
    return list;
  }

  /** Seconds until the user name may try again; 0 when it may now. */
  retryAfterS(user: string): number {
    const list = this.#recent(user);
    if (list.length < MAX_FAILURES) return 0;
    return Math.ceil((list[0]! + WINDOW_MS - this.#now()) / 1000);
  }

  failed(user: string): void {
    this.#failures.set(user, [...this.#recent(user), this.#now()]);
  }

  succeeded(user: string): void {
    this.#failures.delete(user);
  }
}
