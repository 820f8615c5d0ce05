/**
 * The audit chain's write side for RecordingIndex: the in-memory head, the last anchored seq and
 * the anchor outside the index. Every method runs inside the index's write queue, so the head
 * cannot move between building an entry and committing it.
 */
import type { Logger } from '../common/index.js';
import { anchorProblem, anchorValue, auditAppendOps, lastAnchorSeq, readHead } from './audit.js';
import type { AuditAppend, AuditHead } from './audit.js';
import { IndexCorruptError } from './errors.js';
import { PREFIX, seqKey } from './keys.js';
import { SYNC, writeOps } from './storage.js';
import type { BatchOp, Db } from './storage.js';
import type { AuditEntry, AuditInput, IndexOptions } from './types.js';

const DEFAULT_ANCHOR_EVERY = 100;

export class AuditWriter {
  readonly #db: () => Db;
  readonly #opts: IndexOptions;
  readonly #log: Logger;
  readonly #now: () => Date;
  readonly #anchorEvery: number;
  #head: AuditHead;
  #lastAnchor: number;

  /** `db` is a getter: the handle may reopen LevelDB (db-handle.ts), then call reload(). */
  constructor(db: () => Db, opts: IndexOptions, log: Logger, head: AuditHead, lastAnchor: number) {
    this.#db = db;
    this.#opts = opts;
    this.#log = log;
    this.#now = opts.now ?? (() => new Date());
    this.#anchorEvery = opts.auditAnchorEvery ?? DEFAULT_ANCHOR_EVERY;
    this.#head = head;
    this.#lastAnchor = lastAnchor;
  }

  get seq(): number {
    return this.#head.seq;
  }

  /** Reads the head and last anchor again (after LevelDB was reopened). */
  async reload(db: Db): Promise<void> {
    this.#head = await readHead(db);
    this.#lastAnchor = await lastAnchorSeq(db);
  }

  /**
   * The chain against its anchor outside the index. A shorter or different chain is damage
   * (exit 2 at start) — except for `index rebuild`, which records the loss in the chain.
   */
  async checkAnchor(): Promise<void> {
    const store = this.#opts.auditAnchor;
    if (store === undefined) return;
    const anchor = await store.read();
    const problem = anchor === undefined ? null : await anchorProblem(this.#db(), this.#head, anchor);
    if (problem === null) {
      // First start with an anchor, or a crash between an index write and its anchor write.
      if (anchor === undefined || anchor.seq < this.#head.seq) await store.write(this.#head);
      return;
    }
    if (this.#opts.acceptAuditLoss !== true)
      throw new IndexCorruptError(problem, { context: { dir: this.#opts.dir } });
    const lost = { anchorSeq: anchor?.seq ?? 0, chainSeq: this.#head.seq };
    this.#log.error(lost, 'audit entries lost with the index: the loss is recorded in the chain');
    await this.commit(
      this.ops({
        actor: 'system',
        role: 'system',
        action: 'index_rebuild',
        detail: { auditEntriesLost: true, ...lost },
      }),
      [],
    );
  }

  /** The next entry's ops, chained on the current head (not moved until commit). */
  ops(input: AuditInput): AuditAppend {
    const ts = this.#now().toISOString();
    return auditAppendOps(
      input,
      this.#head,
      ts,
      this.#opts.blindIndexKey,
      this.#anchorEvery,
      this.#opts.sign,
    );
  }

  /**
   * Writes `ops` and the audit entry in one synced batch; only then moves the in-memory head
   * and the anchor outside the index. An anchor that fails to write lags behind the chain,
   * which is safe (it is a lower bound) and is caught up at the next append or open.
   */
  async commit(a: AuditAppend, ops: readonly BatchOp[]): Promise<void> {
    await writeOps(this.#db(), [...ops, ...a.ops]);
    this.#head = a.head;
    if (a.anchored) this.#lastAnchor = a.head.seq;
    try {
      await this.#opts.auditAnchor?.write(a.head);
    } catch (err) {
      this.#log.error({ err, auditSeq: a.head.seq }, 'audit anchor not updated; it lags the chain');
    }
  }

  /**
   * Appends several entries in order, in one synced batch (one anchor update): a retention run
   * audits each recording it removes without one fsync per recording.
   */
  async appendMany(inputs: readonly AuditInput[]): Promise<AuditEntry[]> {
    const head = this.#head;
    const appends: AuditAppend[] = [];
    try {
      for (const input of inputs) {
        const a = this.ops(input);
        appends.push(a);
        // The next entry chains on this one; put back below if the batch is not written.
        this.#head = a.head;
      }
    } finally {
      this.#head = head;
    }
    const last = appends[appends.length - 1]!;
    const anchoredAt = appends.filter((a) => a.anchored).at(-1);
    // The signed anchor records (if any fell in this run) are among the ops; which seq was
    // anchored last is set here, not by commit (it would take the last entry's).
    await this.commit({ ...last, anchored: false, ops: appends.flatMap((a) => a.ops) }, []);
    if (anchoredAt !== undefined) this.#lastAnchor = anchoredAt.head.seq;
    return appends.map((a) => a.entry);
  }

  /** At close: anchors the head inside the index when entries were added since the last anchor. */
  async anchorHead(db: Db): Promise<void> {
    if (this.#head.seq <= this.#lastAnchor) return;
    const value = anchorValue(this.#head, this.#now().toISOString(), this.#opts.sign);
    await db.put(seqKey(PREFIX.anchor, this.#head.seq), value, SYNC);
    this.#lastAnchor = this.#head.seq;
  }
}
