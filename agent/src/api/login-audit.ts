/**
 * Failed, refused (429) and malformed logins go to the audit log aggregated: one entry per client
 * address and interval, with counts and the first few user names tried. One entry per attempt
 * would let a guesser fill the log (and the disk) at will; none would hide the attack. Pending
 * state is bounded: past `maxSources` addresses in one interval, the rest are counted together
 * under from "(other)". The aggregate is written every interval and on close.
 */
import type { Logger } from '../common/index.js';
import type { AuditInput } from '../index/index.js';

export type LoginFailure = 'failed' | 'refused' | 'malformed';

export const MAX_NAMES_PER_ENTRY = 10;
export const DEFAULT_MAX_SOURCES = 1000;
const OTHER = '(other)';

interface Bucket {
  failed: number;
  refused: number;
  malformed: number;
  readonly users: Set<string>;
  moreUsers: boolean;
  readonly firstAt: string;
  lastAt: string;
}

export class LoginFailureAudit {
  #pending = new Map<string, Bucket>();
  readonly #append: (e: AuditInput) => Promise<unknown>;
  readonly #log: Logger;
  readonly #maxSources: number;
  readonly #timer: NodeJS.Timeout;
  readonly #now: () => Date;
  #flushing: Promise<void> = Promise.resolve();

  constructor(opts: {
    append: (e: AuditInput) => Promise<unknown>;
    log: Logger;
    intervalMs: number;
    maxSources?: number;
    now?: () => Date;
  }) {
    this.#append = opts.append;
    this.#log = opts.log;
    this.#maxSources = opts.maxSources ?? DEFAULT_MAX_SOURCES;
    this.#now = opts.now ?? ((): Date => new Date());
    this.#timer = setInterval(() => void this.flush(), opts.intervalMs);
    this.#timer.unref();
  }

  /** Sources waiting to be written: what bounds this object's memory. */
  get pendingSources(): number {
    return this.#pending.size;
  }

  /** `username` only when it is a well-formed user name (never free text from the client). */
  record(source: string, kind: LoginFailure, username: string | null): void {
    const at = this.#now().toISOString();
    const key = this.#pending.has(source) || this.#pending.size < this.#maxSources ? source : OTHER;
    let b = this.#pending.get(key);
    if (b === undefined) {
      b = {
        failed: 0,
        refused: 0,
        malformed: 0,
        users: new Set(),
        moreUsers: false,
        firstAt: at,
        lastAt: at,
      };
      this.#pending.set(key, b);
    }
    b[kind]++;
    b.lastAt = at;
    if (username !== null && !b.users.has(username)) {
      if (b.users.size < MAX_NAMES_PER_ENTRY) b.users.add(username);
      else b.moreUsers = true;
    }
  }

  /** Writes one entry per pending source; resolves when they are stored. */
  flush(): Promise<void> {
    const batch = this.#pending;
    this.#pending = new Map();
    this.#flushing = this.#flushing.then(async () => {
      for (const [from, b] of batch) {
        const users = [...b.users];
        try {
          await this.#append({
            actor: users.length === 1 && !b.moreUsers ? users[0]! : '(several or none)',
            role: 'system',
            action: 'login_failed',
            from,
            detail: {
              failed: b.failed,
              refused: b.refused,
              malformed: b.malformed,
              users,
              moreUsers: b.moreUsers,
              firstAt: b.firstAt,
              lastAt: b.lastAt,
            },
          });
        } catch (err) {
          this.#log.error({ err, from }, 'failed-login audit entry not written');
        }
      }
    });
    return this.#flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }
}
