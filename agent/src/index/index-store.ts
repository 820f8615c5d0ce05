/**
 * What every RecordingIndex operation goes through: the LevelDB handle and its write queue
 * (db-handle.ts), the closed state, and the audit writer whose entries share the queue's batches.
 * close() stops new calls, drains the queue, anchors the audit head and closes LevelDB; it is
 * idempotent.
 */
import type { Logger } from '../common/index.js';
import type { AuditHead } from './audit.js';
import { AuditWriter } from './audit-writer.js';
import { DbHandle } from './db-handle.js';
import { IndexClosedError } from './errors.js';
import { SYNC } from './storage.js';
import type { BatchOp, Db } from './storage.js';
import type { AuditInput, IndexOptions } from './types.js';

export class IndexStore {
  readonly #h: DbHandle;
  readonly #dir: string;
  readonly #log: Logger;
  readonly audit: AuditWriter;
  #closed = false;
  #closing: Promise<void> | null = null;

  constructor(db: Db, opts: IndexOptions, log: Logger, head: AuditHead, lastAnchor: number) {
    this.#dir = opts.dir;
    this.#log = log;
    this.audit = new AuditWriter(() => this.db, opts, log, head, lastAnchor);
    this.#h = new DbHandle(db, opts.dir, log, (reopened) => this.audit.reload(reopened));
  }

  get db(): Db {
    return this.#h.db;
  }

  /** Throws IndexClosedError once close() was called. */
  check(): void {
    if (this.#closed) throw new IndexClosedError();
  }

  /** Runs fn after every write queued before it; LevelDB errors become coded errors. */
  write<T>(fn: () => Promise<T>): Promise<T> {
    this.check();
    return this.#h.write(fn);
  }

  read<T>(fn: () => Promise<T>): Promise<T> {
    this.check();
    return this.#h.read(fn);
  }

  /**
   * Inside a write job: `ops` in one synced batch, with the audit entry for them when there is
   * one (the change and its audit record land together or not at all).
   */
  async commit(ops: BatchOp[], audit: AuditInput | undefined): Promise<void> {
    if (audit === undefined) await this.db.batch(ops, SYNC);
    else await this.audit.commit(this.audit.ops(audit), ops);
  }

  /** Idempotent: drains queued writes, anchors the audit head, closes LevelDB. */
  close(): Promise<void> {
    if (this.#closing !== null) return this.#closing;
    this.#closed = true;
    this.#closing = (async () => {
      await this.#h.drain();
      try {
        if (!this.#h.broken && this.db.status === 'open') await this.audit.anchorHead(this.db);
      } finally {
        await this.#h.close();
        this.#log.info({ dir: this.#dir }, 'index closed');
      }
    })();
    return this.#closing;
  }
}
