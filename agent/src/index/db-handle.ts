/**
 * The index's LevelDB handle and its write queue. Writes are serialised (read-modify-write of
 * secondary entries and audit sequence numbers must not interleave); LevelDB errors become coded
 * errors.
 *
 * A failed write poisons nothing. When LevelDB cannot append a batch to its log (disk full), the
 * bytes it did write stay in the log as a torn record while its writer counts the whole record
 * as written; every later record then sits at the wrong block offset, and at the next open
 * LevelDB drops them all as corrupt — acknowledged writes lost on restart (measured on a full
 * tmpfs: every write after the failure vanished). So after any failed write the database is
 * closed and reopened (LevelDB replays the sound part of the log into a table and starts a new
 * log) before the next write, and the owner reloads what it caches (the audit head). Until the
 * reopen succeeds (space freed) every write fails with a coded error; reads keep the old handle
 * while it is open.
 */
import { CallvaultError, type Logger } from '../common/index.js';
import { openDb, toIndexError, type Db } from './storage.js';

export class DbHandle {
  #db: Db;
  readonly #dir: string;
  readonly #log: Logger;
  readonly #onReopen: (db: Db) => Promise<void>;
  /** A write failed: the log may end in a torn record, so reopen before writing again. */
  #broken = false;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(db: Db, dir: string, log: Logger, onReopen: (db: Db) => Promise<void>) {
    this.#db = db;
    this.#dir = dir;
    this.#log = log;
    this.#onReopen = onReopen;
  }

  get db(): Db {
    return this.#db;
  }

  /** True while a failed write has not been followed by a successful reopen. */
  get broken(): boolean {
    return this.#broken;
  }

  /** Runs fn after every write queued before it. */
  write<T>(fn: () => Promise<T>): Promise<T> {
    const job = async (): Promise<T> => {
      if (this.#broken) await this.#reopen();
      try {
        return await fn();
      } catch (err) {
        // Coded errors are refusals before anything was written; anything else may have
        // left a torn record in the log.
        if (!(err instanceof CallvaultError)) this.#broken = true;
        throw err;
      }
    };
    const run = this.#queue.then(job, job);
    this.#queue = run.catch(() => undefined);
    return run.catch((err: unknown) => {
      throw toIndexError(err, this.#dir);
    });
  }

  async read<T>(fn: () => Promise<T>): Promise<T> {
    // A failed reopen left no open database: try again (through the queue) before reading.
    if (this.#db.status !== 'open') await this.write(async () => undefined);
    try {
      return await fn();
    } catch (err) {
      throw toIndexError(err, this.#dir);
    }
  }

  /** Resolves when every queued write has settled. */
  drain(): Promise<unknown> {
    return this.#queue;
  }

  async close(): Promise<void> {
    if (this.#db.status === 'open') await this.#db.close();
  }

  async #reopen(): Promise<void> {
    this.#log.warn({ dir: this.#dir }, 'reopening the index after a failed write');
    if (this.#db.status === 'open') await this.#db.close();
    const { db } = await openDb(this.#dir);
    this.#db = db;
    await this.#onReopen(db);
    this.#broken = false;
    this.#log.info({ dir: this.#dir }, 'index reopened');
  }
}
