/**
 * Slows password guessing. A login attempt reserves a slot for its user name and for its client
 * address *before* the password is hashed, synchronously, so a burst of parallel guesses cannot
 * all pass the check while the first hashes are still running: with a limit of 5, at most 5 of
 * 40 parallel guesses are ever checked. A reserved slot counts as a failure until the check
 * succeeds (then the user name's count is cleared and the address gets its slot back).
 *
 * State is bounded: each table holds at most `maxEntries` keys (expired ones go first, then the
 * least recently used), each key at most its limit of timestamps. Client addresses are keyed
 * per IPv4 address and per IPv6 /64, the smallest block one client usually has.
 */
import { isIPv6 } from 'node:net';

export const WINDOW_MS = 15 * 60_000;
export const DEFAULT_MAX_ENTRIES = 10_000;

export interface ThrottleLimits {
  /** Failures (and checks in flight) per user name per window. */
  readonly perUser: number;
  /** Failures (and checks in flight) per client address per window. */
  readonly perSource: number;
  readonly windowMs?: number;
  /** Keys kept per table (user names, addresses). */
  readonly maxEntries?: number;
}

/** Timestamps per key, oldest first, in a Map kept in least-recently-used order. */
class BoundedWindows {
  readonly #map = new Map<string, number[]>();
  readonly #maxEntries: number;
  readonly #windowMs: number;

  constructor(maxEntries: number, windowMs: number) {
    this.#maxEntries = maxEntries;
    this.#windowMs = windowMs;
  }

  get size(): number {
    return this.#map.size;
  }

  /** The key's timestamps still inside the window (the key is dropped when none are). */
  recent(key: string, now: number): number[] {
    const list = this.#map.get(key);
    if (list === undefined) return [];
    const cutoff = now - this.#windowMs;
    while (list.length > 0 && list[0]! <= cutoff) list.shift();
    if (list.length === 0) this.#map.delete(key);
    return list;
  }

  add(key: string, now: number): void {
    const list = this.recent(key, now);
    this.#map.delete(key);
    if (this.#map.size >= this.#maxEntries) this.#evict(now);
    list.push(now);
    this.#map.set(key, list);
  }

  /** Removes one timestamp equal to `at` (a refunded reservation). */
  removeOne(key: string, at: number): void {
    const list = this.#map.get(key);
    if (list === undefined) return;
    const i = list.lastIndexOf(at);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.#map.delete(key);
  }

  clear(key: string): void {
    this.#map.delete(key);
  }

  #evict(now: number): void {
    // Expired keys first (bounded scan), then the least recently used one.
    let scanned = 0;
    for (const key of this.#map.keys()) {
      if (this.#map.size < this.#maxEntries || scanned++ >= 64) break;
      this.recent(key, now);
    }
    if (this.#map.size >= this.#maxEntries) {
      const oldest = this.#map.keys().next();
      if (oldest.done !== true) this.#map.delete(oldest.value);
    }
  }
}

function expandIPv6(addr: string): string[] {
  const [head, tail] = addr.split('::') as [string, string | undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? [] : new Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t];
}

/** The throttle key of a client address: IPv4 as is, IPv6 per /64. */
export function sourceKey(address: string): string {
  const a = address.toLowerCase().replace(/%.*$/, '');
  if (a.startsWith('::ffff:') && a.includes('.')) return a.slice('::ffff:'.length);
  if (!isIPv6(a)) return a;
  return `${expandIPv6(a)
    .slice(0, 4)
    .map((g) => String(parseInt(g, 16) || 0))
    .join(':')}::/64`;
}

export type Reservation =
  { readonly ok: true; readonly ticket: LoginTicket } | { readonly ok: false; readonly retryAfterS: number };

export interface LoginTicket {
  /** The password was right: clears the user name's failures and refunds the address's slot. */
  succeeded(): void;
}

export class LoginThrottle {
  readonly #users: BoundedWindows;
  readonly #sources: BoundedWindows;
  readonly #limits: Required<ThrottleLimits>;
  readonly #now: () => number;

  constructor(limits: ThrottleLimits, now: () => number = Date.now) {
    this.#limits = {
      windowMs: WINDOW_MS,
      maxEntries: DEFAULT_MAX_ENTRIES,
      ...limits,
    };
    this.#users = new BoundedWindows(this.#limits.maxEntries, this.#limits.windowMs);
    this.#sources = new BoundedWindows(this.#limits.maxEntries, this.#limits.windowMs);
    this.#now = now;
  }

  /** Keys held, per table: what bounds the throttle's memory. */
  get entries(): { users: number; sources: number } {
    return { users: this.#users.size, sources: this.#sources.size };
  }

  /** Reserves a check for this user name from this address, or says how long to wait. */
  reserve(username: string, address: string): Reservation {
    const now = this.#now();
    const src = sourceKey(address);
    const u = this.#users.recent(username, now);
    const s = this.#sources.recent(src, now);
    const blocked = [
      u.length >= this.#limits.perUser ? u[0]! : null,
      s.length >= this.#limits.perSource ? s[0]! : null,
    ].filter((t): t is number => t !== null);
    if (blocked.length > 0) {
      const until = Math.max(...blocked) + this.#limits.windowMs;
      return { ok: false, retryAfterS: Math.max(1, Math.ceil((until - now) / 1000)) };
    }
    this.#users.add(username, now);
    this.#sources.add(src, now);
    let settled = false;
    return {
      ok: true,
      ticket: {
        succeeded: () => {
          if (settled) return;
          settled = true;
          this.#users.clear(username);
          this.#sources.removeOne(src, now);
        },
      },
    };
  }
}
