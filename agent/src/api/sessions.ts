/**
 * Bearer-token sessions, in memory: a restart logs everyone out, which is the safe default for
 * an appliance. Tokens are 256-bit random; only their SHA-256 is kept, so a heap dump does not
 * hand out live sessions.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Role } from '../index/index.js';

export interface SessionUser {
  readonly username: string;
  readonly role: Role;
  readonly agentId: string | null;
}

interface Entry {
  readonly user: SessionUser;
  readonly expiresAtMs: number;
}

const digest = (token: string): string => createHash('sha256').update(token).digest('hex');

export class SessionStore {
  readonly #lifetimeMs: number;
  readonly #sessions = new Map<string, Entry>();
  readonly #now: () => number;

  constructor(lifetimeS: number, now: () => number = Date.now) {
    this.#lifetimeMs = lifetimeS * 1000;
    this.#now = now;
  }

  create(user: SessionUser): { token: string; expiresAt: string } {
    this.#sweep();
    const token = randomBytes(32).toString('base64url');
    const expiresAtMs = this.#now() + this.#lifetimeMs;
    this.#sessions.set(digest(token), { user, expiresAtMs });
    return { token, expiresAt: new Date(expiresAtMs).toISOString() };
  }

  lookup(token: string): SessionUser | null {
    const key = digest(token);
    const entry = this.#sessions.get(key);
    if (entry === undefined) return null;
    if (entry.expiresAtMs <= this.#now()) {
      this.#sessions.delete(key);
      return null;
    }
    return entry.user;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [k, e] of this.#sessions) if (e.expiresAtMs <= now) this.#sessions.delete(k);
  }
}
