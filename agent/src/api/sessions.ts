/**
 * Bearer-token sessions, in memory: a restart logs everyone out, which is the safe default for
 * an appliance. Tokens are 256-bit random; only their SHA-256 is kept, so a heap dump does not
 * hand out live sessions. A session's public id (for listing and revoking by an admin) is a
 * prefix of that digest. Each session remembers a fingerprint of the account it was opened for
 * (role, agent, password hash, second factor): the API compares it with the stored account on every request, so
 * a password change, a role change, disabling or removing the account ends its sessions at once,
 * whichever process or command made the change.
 *
 * Bounded: at most MAX_PER_USER sessions per user and MAX_SESSIONS in all (the oldest go first).
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Role, User } from '../index/index.js';

export const MAX_PER_USER = 20;
export const MAX_SESSIONS = 10_000;

export interface SessionUser {
  readonly username: string;
  readonly role: Role;
  readonly agentId: string | null;
}

export interface SessionInfo {
  readonly id: string;
  readonly username: string;
  readonly role: Role;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly from: string | null;
}

interface Entry {
  readonly id: string;
  readonly user: SessionUser;
  readonly account: string;
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
  readonly from: string | null;
}

const digest = (token: string): string => createHash('sha256').update(token).digest('hex');

/** What must stay the same in the stored account for its sessions to remain valid. */
export function accountFingerprint(u: User): string {
  return createHash('sha256')
    .update(
      JSON.stringify([u.username, u.role, u.agentId, u.passwordHash, u.disabled, u.totp?.sealed ?? null]),
    )
    .digest('hex');
}

export class SessionStore {
  readonly #lifetimeMs: number;
  /** Keyed by token digest, in creation order (Map order), so the oldest are found first. */
  readonly #sessions = new Map<string, Entry>();
  readonly #now: () => number;
  /** Keys the console's CSRF tokens (cookie-session.ts); a restart changes it with the sessions. */
  readonly #csrfKey = randomBytes(32);

  constructor(lifetimeS: number, now: () => number = Date.now) {
    this.#lifetimeMs = lifetimeS * 1000;
    this.#now = now;
  }

  get size(): number {
    return this.#sessions.size;
  }

  create(user: User, from: string | null = null): { token: string; expiresAt: string } {
    this.#sweep();
    const mine = [...this.#sessions].filter(([, e]) => e.user.username === user.username);
    for (const [k] of mine.slice(0, Math.max(0, mine.length - MAX_PER_USER + 1))) this.#sessions.delete(k);
    if (this.#sessions.size >= MAX_SESSIONS) this.#sessions.delete(this.#sessions.keys().next().value!);
    const token = randomBytes(32).toString('base64url');
    const key = digest(token);
    const now = this.#now();
    this.#sessions.set(key, {
      id: key.slice(0, 16),
      user: { username: user.username, role: user.role, agentId: user.agentId ?? null },
      account: accountFingerprint(user),
      createdAtMs: now,
      expiresAtMs: now + this.#lifetimeMs,
      from,
    });
    return { token, expiresAt: new Date(now + this.#lifetimeMs).toISOString() };
  }

  /** The session's user and account fingerprint, or null when unknown or expired. */
  lookup(token: string): { user: SessionUser; account: string; expiresAtMs: number } | null {
    const key = digest(token);
    const entry = this.#sessions.get(key);
    if (entry === undefined) return null;
    if (entry.expiresAtMs <= this.#now()) {
      this.#sessions.delete(key);
      return null;
    }
    return { user: entry.user, account: entry.account, expiresAtMs: entry.expiresAtMs };
  }

  /**
   * The CSRF token of a session: a MAC of its token digest, so it needs no storage, differs per
   * session and cannot be derived without the token and this store's key.
   */
  csrfFor(token: string): string {
    return createHmac('sha256', this.#csrfKey).update(digest(token)).digest('base64url');
  }

  /** Ends the session of this token (logout); false when it was not live. */
  revoke(token: string): boolean {
    return this.#sessions.delete(digest(token));
  }

  /** Ends one session by its public id, or every session of the user when id is omitted. */
  revokeUser(username: string, id?: string): number {
    let n = 0;
    for (const [k, e] of this.#sessions) {
      if (e.user.username === username && (id === undefined || e.id === id)) {
        this.#sessions.delete(k);
        n++;
      }
    }
    return n;
  }

  list(username: string): SessionInfo[] {
    this.#sweep();
    return [...this.#sessions.values()]
      .filter((e) => e.user.username === username)
      .map((e) => ({
        id: e.id,
        username: e.user.username,
        role: e.user.role,
        createdAt: new Date(e.createdAtMs).toISOString(),
        expiresAt: new Date(e.expiresAtMs).toISOString(),
        from: e.from,
      }));
  }

  #sweep(): void {
    const now = this.#now();
    for (const [k, e] of this.#sessions) if (e.expiresAtMs <= now) this.#sessions.delete(k);
  }
}
