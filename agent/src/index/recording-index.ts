/**
 * RecordingIndex: the LevelDB-backed index of recordings, users, grants and the audit chain.
 * Writes are serialised through one queue (read-modify-write of secondary entries and audit
 * sequence numbers must not interleave) and each lands in one atomic, synced batch. close() stops
 * new calls, drains the queue, anchors the audit head and closes LevelDB; it is idempotent.
 * A failed write poisons nothing: see db-handle.ts.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../common/index.js';
import { lastAnchorSeq, listAuditEntries, readHead, verifyAuditChain } from './audit.js';
import type { AuditHead } from './audit.js';
import { IndexBadRecordError, IndexNotFoundError } from './errors.js';
import { assertKey, openFields, sealFields } from './field-crypto.js';
import { KEY_END, PREFIX, recKey } from './keys.js';
import { encodeRecord, entryKeys, isValidId, parseStored, prepareStored } from './record-codec.js';
import type { PreparedRecord, StoredRecord } from './record-codec.js';
import {
  deleteOps,
  recordCount,
  recordingSpans,
  refill,
  replaceOps,
  writePrepared,
} from './record-writes.js';
import { encodeCursor, normaliseQuery } from './query.js';
import { positionOfRecord, runCount, runSearch } from './search.js';
import { checkConsistency, compactKeys, migrate } from './maintenance.js';
import { SYNC, openDb, toIndexError } from './storage.js';
import { IndexStore } from './index-store.js';
import { RecordSealer } from './record-sealer.js';
import { readCounters } from './stats-counters.js';
import type { CounterCell } from './stats-counters.js';
import { recountIfStale } from './stats-recount.js';
import { duePage } from './retention-scan.js';
import type { DuePage } from './retention-scan.js';
import type { Db } from './storage.js';
import {
  canonicalGrant,
  canonicalUser,
  grantPutOp,
  grantsMatching,
  loadGrant,
  loadGrants,
  loadUser,
  loadUsers,
  removeUser,
  userPutOp,
} from './users.js';
import type {
  AuditEntry,
  AuditInput,
  AuditListQuery,
  AuditVerifyResult,
  ConsistencyReport,
  Grant,
  GrantInput,
  IndexOptions,
  RecordingPatch,
  RecordingRecord,
  SearchQuery,
  SearchResult,
  User,
  UserInput,
} from './types.js';

export class RecordingIndex {
  readonly #s: IndexStore;
  readonly #opts: IndexOptions;
  readonly #codec: RecordSealer;
  readonly #log: Logger;
  readonly #now: () => Date;

  private constructor(db: Db, opts: IndexOptions, head: AuditHead, lastAnchor: number) {
    this.#opts = opts;
    this.#codec = new RecordSealer(opts);
    this.#log = opts.log.child({ component: 'index' });
    this.#now = opts.now ?? (() => new Date());
    this.#s = new IndexStore(db, opts, this.#log, head, lastAnchor);
  }

  get #db(): Db {
    return this.#s.db;
  }

  /** Use openIndex(). Resolves when the schema is current and the audit head is loaded. */
  static async open(opts: IndexOptions, allowMissingSchema = false): Promise<RecordingIndex> {
    assertKey(opts.blindIndexKey, 'blindIndexKey');
    assertKey(opts.fieldKey, 'fieldKey');
    const { db, fresh } = await openDb(opts.dir);
    try {
      await migrate(db, fresh || allowMissingSchema, opts.migrations ?? [], opts.log);
      const index = new RecordingIndex(db, opts, await readHead(db), await lastAnchorSeq(db));
      await index.#s.audit.checkAnchor();
      await index.#recountStats();
      opts.log.info({ dir: opts.dir, fresh, auditSeq: index.#s.audit.seq }, 'index open');
      return index;
    } catch (err) {
      await db.close();
      throw toIndexError(err, opts.dir);
    }
  }

  /**
   * Counters and `sg` fields computed under another agent-group configuration (or none: an
   * index from before counters) are computed again from the records, once.
   */
  async #recountStats(): Promise<void> {
    await this.#s.write(() =>
      recountIfStale(this.#db, this.#opts.statsAgentGroups ?? [], this.#codec.keys, this.#log, (ids) =>
        this.#codec.recordKeys(ids),
      ),
    );
  }

  async #stored(id: string): Promise<StoredRecord | null> {
    if (!isValidId(id)) return null;
    const v = await this.#db.get(recKey(id));
    return v === undefined ? null : parseStored(id, v);
  }

  /** Inserts or replaces one recording with all its secondary entries in one batch. */
  async putRecording(rec: RecordingRecord): Promise<RecordingRecord> {
    const canonical = this.#codec.canonical(rec);
    if (!this.#codec.perRecord)
      await this.#putPrepared([prepareStored(encodeRecord(canonical, this.#codec.keys))]);
    else await this.#putSealedInQueue([canonical]);
    return canonical;
  }

  /**
   * Bulk putRecording: one batch for all (later duplicates of an id win). Records are validated
   * and sealed before the write queue, so a caller can prepare the next batch while this one is
   * being written.
   */
  putRecordings(recs: readonly RecordingRecord[]): Promise<number> {
    try {
      this.#s.check();
      const n = recs.length;
      // Not an async function: its frame would hold `recs` until the write completes.
      if (!this.#codec.perRecord)
        return this.#putPrepared(recs.map((r) => this.#codec.prepare(r))).then(() => n);
      return this.#putSealedInQueue(recs.map((r) => this.#codec.canonical(r))).then(() => n);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  /**
   * A put whose records are sealed under their own keys (IndexOptions.recordKeys): the key
   * look-up runs inside the write queue, so a put issued before close() still lands. Synced like
   * every other index write: an entry acknowledged is on disk.
   */
  #putSealedInQueue(recs: readonly RecordingRecord[]): Promise<void> {
    return this.#s.write(async () =>
      writePrepared(this.#db, (await this.#codec.encodeAll(recs)).map(prepareStored), SYNC),
    );
  }

  /**
   * The queued part of a put: only what depends on the stored state (stale entries of replaced
   * records) runs here; sealing and serialising happened before, overlapping the previous write.
   */
  #putPrepared(items: readonly PreparedRecord[]): Promise<void> {
    return this.#s.write(() => writePrepared(this.#db, items, SYNC));
  }

  async getRecording(id: string): Promise<RecordingRecord | null> {
    return this.#s.read(async () => {
      const s = await this.#stored(id);
      return s === null ? null : ((await this.#codec.decodeAll([s]))[0] as RecordingRecord);
    });
  }

  /**
   * Merges the patch into the stored recording (id cannot change). With `audit`, the entry is
   * written in the same batch: the change and its audit record land together or not at all.
   */
  async update(
    id: string,
    patch: RecordingPatch,
    audit?: AuditInput,
    opts: { compact?: boolean } = {},
  ): Promise<RecordingRecord> {
    return this.#s.write(async () => {
      const prev = await this.#stored(id);
      if (prev === null) throw new IndexNotFoundError('recording', id);
      if ('id' in patch && (patch as { id?: unknown }).id !== id)
        throw new IndexBadRecordError('id', 'cannot be changed', id);
      const { next, stored } = await this.#codec.merge(prev, patch);
      const ops = await replaceOps(this.#db, prev, stored);
      const touched = [recKey(id), ...entryKeys(prev)];
      // Compacting first puts the old value into a table below the memtable, so the compaction
      // after the write merges the two and drops it (a manual compaction does not merge a value
      // flushed together with its replacement; see compactKeys and vault destroyDataKey).
      if (opts.compact === true) await compactKeys(this.#db, touched);
      await this.#s.commit(ops, audit);
      // Rectification: the replaced blob and blind entries leave the tables now, not whenever
      // LevelDB gets round to them.
      if (opts.compact === true) await compactKeys(this.#db, touched);
      return next;
    });
  }

  async setFlags(id: string, flags: readonly string[]): Promise<RecordingRecord> {
    return this.update(id, { flags });
  }

  /**
   * Erasure: deletes the record and every secondary entry in one batch, then compacts the
   * touched key ranges so the old values leave the LevelDB files (and the write-ahead log).
   */
  async deleteRecording(id: string, opts: { compact?: boolean; audit?: AuditInput } = {}): Promise<boolean> {
    return (await this.deleteRecordings([id], opts)) === 1;
  }

  /**
   * With `audit`, the entry lands in the same batch as the deletion: the index never lacks a
   * recording that the audit log does not say was erased, nor the reverse. The entry is written
   * even when nothing is left to delete (the vault part of an erasure already happened).
   */
  async deleteRecordings(
    ids: readonly string[],
    opts: { compact?: boolean; audit?: AuditInput } = {},
  ): Promise<number> {
    return this.#s.write(async () => {
      const { ops, touched } = await deleteOps(this.#db, ids);
      if (opts.audit !== undefined || ops.length > 0) await this.#s.commit(ops, opts.audit);
      if (ops.length === 0) return 0;
      if (opts.compact ?? true) await compactKeys(this.#db, touched);
      return recordCount(touched);
    });
  }

  /**
   * The statistics counters of the UTC days [fromDay, toDay) (YYYY-MM-DD): what GET /stats
   * aggregates, one entry per day × service × direction × agent group.
   */
  async statsCounters(fromDay: string, toDay: string): Promise<CounterCell[]> {
    return this.#s.read(() => readCounters(this.#db, fromDay, toDay));
  }

  /**
   * Recordings whose expiry is before `expiresBefore`, with only the plain fields retention
   * decides on (retention-scan.ts); page on with `after` = the previous page's `next`.
   */
  async duePage(expiresBefore: Date, after: string | null = null, limit = 1000): Promise<DuePage> {
    return this.#s.read(() => duePage(this.#db, expiresBefore.getTime(), after, limit));
  }

  /**
   * Compacts every recording key range: what deleteRecordings(…, {compact: true}) does for its
   * own keys, once for a whole run of deletions (a retention purge) instead of per batch, whose
   * spans cover nearly the whole index when ids and times are spread.
   */
  async compactRecordings(): Promise<void> {
    return this.#s.write(() => compactKeys(this.#db, recordingSpans()));
  }

  async search(query: SearchQuery): Promise<SearchResult> {
    const q = normaliseQuery(query, this.#opts.blindIndexKey, true, this.#codec.numbers);
    return this.#s.read(async () => {
      const rows = await runSearch(this.#db, q, q.limit + 1);
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      const nextCursor =
        rows.length > q.limit && last !== undefined ? encodeCursor(positionOfRecord(last), q) : null;
      return { items: await this.#codec.decodeAll(page), nextCursor };
    });
  }

  /** Matches of the query's filters (limit, cursor and order are ignored). */
  async count(query: SearchQuery): Promise<number> {
    const q = normaliseQuery(query, this.#opts.blindIndexKey, false, this.#codec.numbers);
    return this.#s.read(() => runCount(this.#db, q));
  }

  async listIds(): Promise<string[]> {
    return this.#s.read(async () => {
      const keys = await this.#db.keys({ gte: PREFIX.rec, lt: PREFIX.rec + KEY_END }).all();
      return keys.map((k) => k.slice(PREFIX.rec.length));
    });
  }

  /** Finds (and with repair: true, fixes) secondary entries out of step with their records. */
  async checkConsistency(opts: { repair?: boolean } = {}): Promise<ConsistencyReport> {
    return this.#s.write(() => checkConsistency(this.#db, opts.repair ?? false, this.#log));
  }

  /**
   * Wipes recordings and secondary entries (users, grants and audit stay) and refills them from
   * the vault's metadata. Returns the number of recordings indexed.
   */
  async rebuild(records: AsyncIterable<RecordingRecord>): Promise<number> {
    const encode = (rec: RecordingRecord): Promise<StoredRecord> => this.#codec.encode(rec);
    return this.#s.write(() =>
      refill(this.#db, records, encode, this.#opts.statsAgentGroups ?? [], this.#log),
    );
  }

  /** Stores a user; with `audit`, the entry lands in the same batch (both or neither). */
  async putUser(input: UserInput, audit?: AuditInput): Promise<User> {
    const user = canonicalUser(input, this.#now());
    return this.#s.write(async () => {
      await this.#s.commit([userPutOp(user)], audit);
      return user;
    });
  }

  /** Seals a user's secret (the TOTP seed) with the field key, bound to the user name. */
  sealUserSecret(username: string, secret: string): string {
    return sealFields(this.#opts.fieldKey, `user:${username}`, secret);
  }

  openUserSecret(username: string, sealed: string): string {
    return String(openFields(this.#opts.fieldKey, `user:${username}`, sealed));
  }

  async getUser(username: string): Promise<User | null> {
    return this.#s.read(() => loadUser(this.#db, username));
  }

  async listUsers(): Promise<User[]> {
    return this.#s.read(() => loadUsers(this.#db));
  }

  /** Deletes the user and, in the same batch, every grant held by them. */
  async deleteUser(username: string): Promise<boolean> {
    return this.#s.write(() => removeUser(this.#db, username));
  }

  /**
   * Stores a DPO grant for an existing user (CV_ERR_INDEX_NOT_FOUND otherwise); with `audit`,
   * the entry lands in the same batch (both or neither).
   */
  async putGrant(input: GrantInput, audit?: AuditInput): Promise<Grant> {
    const grant = canonicalGrant(input, randomUUID(), this.#now());
    return this.#s.write(async () => {
      const withId = audit && { ...audit, detail: { ...(audit.detail ?? {}), grantId: grant.id } };
      await this.#s.commit([await grantPutOp(this.#db, grant)], withId);
      return grant;
    });
  }

  /** One grant, expired or not; null when unknown (revoked grants are deleted). */
  async getGrant(id: string): Promise<Grant | null> {
    return this.#s.read(() => loadGrant(this.#db, id));
  }

  /** Grants in force now (or all with includeExpired), optionally of one user. */
  async listGrants(query: { username?: string; includeExpired?: boolean } = {}): Promise<Grant[]> {
    return this.#s.read(async () => grantsMatching(await loadGrants(this.#db), query, this.#now()));
  }

  /**
   * Deletes a grant; false when there is none. With `audit`, the entry lands in the same batch
   * as the deletion (and is not written when there was nothing to revoke).
   */
  async revokeGrant(id: string, audit?: AuditInput): Promise<boolean> {
    return this.#s.write(async () => {
      if ((await loadGrant(this.#db, id)) === null) return false;
      await this.#s.commit([{ type: 'del', key: PREFIX.grant + id }], audit);
      return true;
    });
  }

  /** Appends one entry to the chain (and an anchor every auditAnchorEvery entries). */
  async appendAudit(input: AuditInput): Promise<AuditEntry> {
    return this.#s.write(async () => {
      const a = this.#s.audit.ops(input);
      await this.#s.audit.commit(a, []);
      return a.entry;
    });
  }

  /**
   * Appends several entries in order, in one synced batch (one anchor update): a retention run
   * audits each recording it removes without one fsync per recording.
   */
  async appendAudits(inputs: readonly AuditInput[]): Promise<AuditEntry[]> {
    if (inputs.length === 0) return [];
    return this.#s.write(() => this.#s.audit.appendMany(inputs));
  }

  async listAudit(query: AuditListQuery = {}): Promise<AuditEntry[]> {
    return this.#s.read(() => listAuditEntries(this.#db, query));
  }

  /** Queued, so no append can fall between reading the chain and reading its anchor. */
  async verifyAudit(): Promise<AuditVerifyResult> {
    return this.#s.write(async () =>
      verifyAuditChain(this.#db, this.#opts.verifySignature, await this.#opts.auditAnchor?.read()),
    );
  }

  /** Idempotent: drains queued writes, anchors the audit head, closes LevelDB. */
  close(): Promise<void> {
    return this.#s.close();
  }
}
