/**
 * RecordingIndex: the LevelDB-backed index of recordings, users, grants and the audit chain.
 * Writes are serialised through one queue (read-modify-write of secondary entries and audit
 * sequence numbers must not interleave) and each lands in one atomic, synced batch. close() stops
 * new calls, drains the queue, anchors the audit head and closes LevelDB; it is idempotent.
 * A failed write poisons nothing: see db-handle.ts.
 */
import { randomUUID } from 'node:crypto';
import type { Logger, NormaliseOptions } from '../common/index.js';
import {
  anchorProblem,
  anchorValue,
  auditAppendOps,
  lastAnchorSeq,
  listAuditEntries,
  readHead,
  verifyAuditChain,
} from './audit.js';
import type { AuditAppend, AuditHead } from './audit.js';
import { IndexBadRecordError, IndexClosedError, IndexCorruptError, IndexNotFoundError } from './errors.js';
import { assertKey, cachedBlinder, openFields, sealFields } from './field-crypto.js';
import { KEY_END, PREFIX, RECORDING_PREFIXES, recKey, seqKey } from './keys.js';
import {
  canonicalRecord,
  decodeRecord,
  encodeRecord,
  entryKeys,
  isValidId,
  parseStored,
  prepareRecord,
  prepareStored,
  pushPutOps,
  putOps,
} from './record-codec.js';
import type { BatchOp, FieldKeys, PreparedRecord, StoredRecord } from './record-codec.js';
import { encodeCursor, normaliseQuery } from './query.js';
import { positionOfRecord, runCount, runSearch } from './search.js';
import { checkConsistency, compactKeys, migrate } from './maintenance.js';
import { SYNC, openDb, toIndexError, writeOps } from './storage.js';
import { DbHandle } from './db-handle.js';
import {
  CounterDelta,
  STATS_END,
  STATS_PREFIX,
  agentGrouper,
  contributionOf,
  readCounters,
} from './stats-counters.js';
import type { CounterCell } from './stats-counters.js';
import { recountIfStale, statsGroupsOp } from './stats-recount.js';
import { duePage } from './retention-scan.js';
import type { DuePage } from './retention-scan.js';
import type { Db } from './storage.js';
import {
  canonicalGrant,
  canonicalUser,
  grantPutOp,
  loadGrant,
  loadGrants,
  loadUser,
  loadUsers,
  removeUser,
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

const DEFAULT_ANCHOR_EVERY = 100;
const REBUILD_BATCH = 1000;

type Op = BatchOp;

export class RecordingIndex {
  readonly #h: DbHandle;
  readonly #opts: IndexOptions;
  /** How numbers are read: the same at ingest and in search, or the blind index would not match. */
  readonly #numbers: NormaliseOptions;
  readonly #log: Logger;
  readonly #anchorEvery: number;
  readonly #now: () => Date;
  readonly #keys: FieldKeys;
  #closed = false;
  #closing: Promise<void> | null = null;
  #head: AuditHead;
  #lastAnchor: number;

  private constructor(db: Db, opts: IndexOptions, head: AuditHead, lastAnchor: number) {
    this.#opts = opts;
    this.#numbers = { defaultCountry: opts.defaultCountry ?? null };
    this.#log = opts.log.child({ component: 'index' });
    this.#anchorEvery = opts.auditAnchorEvery ?? DEFAULT_ANCHOR_EVERY;
    this.#now = opts.now ?? (() => new Date());
    this.#keys = {
      blind: cachedBlinder(opts.blindIndexKey),
      fieldKey: opts.fieldKey,
      group: agentGrouper(opts.statsAgentGroups ?? []),
    };
    this.#head = head;
    this.#lastAnchor = lastAnchor;
    this.#h = new DbHandle(db, opts.dir, this.#log, async (reopened) => {
      this.#head = await readHead(reopened);
      this.#lastAnchor = await lastAnchorSeq(reopened);
    });
  }

  get #db(): Db {
    return this.#h.db;
  }

  /** Use openIndex(). Resolves when the schema is current and the audit head is loaded. */
  static async open(opts: IndexOptions, allowMissingSchema = false): Promise<RecordingIndex> {
    assertKey(opts.blindIndexKey, 'blindIndexKey');
    assertKey(opts.fieldKey, 'fieldKey');
    const { db, fresh } = await openDb(opts.dir);
    try {
      await migrate(db, fresh || allowMissingSchema, opts.migrations ?? [], opts.log);
      const index = new RecordingIndex(db, opts, await readHead(db), await lastAnchorSeq(db));
      await index.#checkAnchor();
      await index.#recountStats();
      opts.log.info({ dir: opts.dir, fresh, auditSeq: index.#head.seq }, 'index open');
      return index;
    } catch (err) {
      await db.close();
      throw toIndexError(err, opts.dir);
    }
  }

  /** The recordings' own keys (IndexOptions.recordKeys), or none when not configured. */
  async #recordKeys(ids: readonly string[]): Promise<readonly (Buffer | undefined)[]> {
    const f = this.#opts.recordKeys;
    return f === undefined ? ids.map(() => undefined) : f(ids);
  }

  #check(): void {
    if (this.#closed) throw new IndexClosedError();
  }

  /**
   * The chain against its anchor outside the index. A shorter or different chain is damage
   * (exit 2 at start) — except for `index rebuild`, which records the loss in the chain.
   */
  async #checkAnchor(): Promise<void> {
    const store = this.#opts.auditAnchor;
    if (store === undefined) return;
    const anchor = await store.read();
    const problem = anchor === undefined ? null : await anchorProblem(this.#db, this.#head, anchor);
    if (problem === null) {
      // First start with an anchor, or a crash between an index write and its anchor write.
      if (anchor === undefined || anchor.seq < this.#head.seq) await store.write(this.#head);
      return;
    }
    if (this.#opts.acceptAuditLoss !== true)
      throw new IndexCorruptError(problem, { context: { dir: this.#opts.dir } });
    const lost = { anchorSeq: anchor?.seq ?? 0, chainSeq: this.#head.seq };
    this.#log.error(lost, 'audit entries lost with the index: the loss is recorded in the chain');
    await this.#commitAudit(
      this.#auditOps({
        actor: 'system',
        role: 'system',
        action: 'index_rebuild',
        detail: { auditEntriesLost: true, ...lost },
      }),
      [],
    );
  }

  /**
   * Counters and `sg` fields computed under another agent-group configuration (or none: an
   * index from before counters) are computed again from the records, once.
   */
  async #recountStats(): Promise<void> {
    await this.#write(() =>
      recountIfStale(this.#db, this.#opts.statsAgentGroups ?? [], this.#keys, this.#log, (ids) =>
        this.#recordKeys(ids),
      ),
    );
  }

  /** Runs fn after every write queued before it; LevelDB errors become coded errors. */
  #write<T>(fn: () => Promise<T>): Promise<T> {
    this.#check();
    return this.#h.write(fn);
  }

  #read<T>(fn: () => Promise<T>): Promise<T> {
    this.#check();
    return this.#h.read(fn);
  }

  async #stored(id: string): Promise<StoredRecord | null> {
    if (!isValidId(id)) return null;
    const v = await this.#db.get(recKey(id));
    return v === undefined ? null : parseStored(id, v);
  }

  /** Inserts or replaces one recording with all its secondary entries in one batch. */
  async putRecording(rec: RecordingRecord): Promise<RecordingRecord> {
    const canonical = canonicalRecord(rec, this.#numbers);
    if (this.#opts.recordKeys === undefined)
      await this.#putPrepared([prepareStored(encodeRecord(canonical, this.#keys))]);
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
      this.#check();
      const n = recs.length;
      // Not an async function: its frame would hold `recs` until the write completes.
      if (this.#opts.recordKeys === undefined)
        return this.#putPrepared(
          recs.map((r) => prepareRecord(r, this.#keys, undefined, this.#numbers)),
        ).then(() => n);
      return this.#putSealedInQueue(recs.map((r) => canonicalRecord(r, this.#numbers))).then(() => n);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  /**
   * A put whose records are sealed under their own keys (IndexOptions.recordKeys): the key
   * look-up runs inside the write queue, so a put issued before close() still lands.
   */
  #putSealedInQueue(recs: readonly RecordingRecord[]): Promise<void> {
    const keys = recs.map((r) => recKey(r.id));
    return this.#write(async () => {
      const rks = await this.#recordKeys(recs.map((r) => r.id));
      const items = recs.map((r, i) => prepareStored(encodeRecord(r, this.#keys, rks[i])));
      await (await this.#fillBatch(items, keys, await this.#db.getMany(keys))).write();
    });
  }

  /**
   * The queued part of a put: only what depends on the stored state (stale entries of replaced
   * records) runs here; sealing and serialising happened before, overlapping the previous write.
   * The batch is built straight into a chained batch: no op objects for LevelDB to read back.
   */
  #putPrepared(items: readonly PreparedRecord[]): Promise<void> {
    const keys = items.map((p) => recKey(p.id));
    // Promise chain rather than an async function, so that `items` can be collected while
    // LevelDB writes: the batch holds its own copy of every key and value.
    return this.#write(() =>
      this.#db
        .getMany(keys)
        .then((prev) => this.#fillBatch(items, keys, prev))
        .then((batch) => batch.write(SYNC)),
    );
  }

  async #fillBatch(
    items: readonly PreparedRecord[],
    keys: readonly string[],
    prev: readonly (string | undefined)[],
  ): Promise<ReturnType<Db['batch']>> {
    // Entry keys currently stored per id, for the records being replaced (and in-batch repeats).
    const current = new Map<string, readonly string[]>();
    const counted = new Map<string, PreparedRecord['stat']>();
    const delta = new CounterDelta();
    const batch = this.#db.batch();
    try {
      prev.forEach((v, i) => {
        const id = (items[i] as PreparedRecord).id;
        if (v !== undefined && !current.has(id)) {
          const s = parseStored(id, v);
          current.set(id, entryKeys(s));
          counted.set(id, contributionOf(s));
        }
      });
      for (let i = 0; i < items.length; i++) {
        const p = items[i] as PreparedRecord;
        const old = current.get(p.id);
        if (old !== undefined) for (const k of old) if (!p.keys.includes(k)) batch.del(k);
        batch.put(keys[i] as string, p.value);
        for (const k of p.keys) batch.put(k, '');
        current.set(p.id, p.keys);
        // The replaced record's share leaves its cell, the new one's joins: same batch.
        if (counted.has(p.id)) delta.add(counted.get(p.id)!, -1);
        delta.add(p.stat, 1);
        counted.set(p.id, p.stat);
      }
      for (const op of await delta.ops(this.#db))
        if (op.type === 'put') batch.put(op.key, op.value);
        else batch.del(op.key);
    } catch (err) {
      void batch.close();
      throw err;
    }
    return batch;
  }

  async getRecording(id: string): Promise<RecordingRecord | null> {
    return this.#read(async () => {
      const s = await this.#stored(id);
      if (s === null) return null;
      const [rk] = s.k === 'r' ? await this.#recordKeys([id]) : [undefined];
      return decodeRecord(s, this.#opts.fieldKey, rk);
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
    return this.#write(async () => {
      const prev = await this.#stored(id);
      if (prev === null) throw new IndexNotFoundError('recording', id);
      if ('id' in patch && (patch as { id?: unknown }).id !== id)
        throw new IndexBadRecordError('id', 'cannot be changed', id);
      const [rk] = await this.#recordKeys([id]);
      const next = canonicalRecord(
        { ...decodeRecord(prev, this.#opts.fieldKey, rk), ...patch, id },
        this.#numbers,
      );
      const encoded = encodeRecord(next, this.#keys, rk);
      const ops = putOps(prev, encoded);
      // Rectification and anonymisation can move a record between cells: the counters follow.
      const delta = new CounterDelta();
      delta.add(contributionOf(prev), -1);
      delta.add(contributionOf(encoded), 1);
      ops.push(...(await delta.ops(this.#db)));
      const touched = [recKey(id), ...entryKeys(prev)];
      // Compacting first puts the old value into a table below the memtable, so the compaction
      // after the write merges the two and drops it (a manual compaction does not merge a value
      // flushed together with its replacement; see compactKeys and vault destroyDataKey).
      if (opts.compact === true) await compactKeys(this.#db, touched);
      if (audit === undefined) await writeOps(this.#db, ops);
      else await this.#commitAudit(this.#auditOps(audit), ops);
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
    return this.#write(async () => {
      const ops: Op[] = [];
      const touched: string[] = [];
      const delta = new CounterDelta();
      const unique = [...new Set(ids)].filter(isValidId);
      const values = unique.length === 0 ? [] : await this.#db.getMany(unique.map(recKey));
      unique.forEach((id, i) => {
        const v = values[i];
        if (v === undefined) return;
        const s = parseStored(id, v);
        const keys = [recKey(id), ...entryKeys(s)];
        for (const key of keys) ops.push({ type: 'del', key });
        touched.push(...keys);
        delta.add(contributionOf(s), -1);
      });
      ops.push(...(await delta.ops(this.#db)));
      if (opts.audit !== undefined) await this.#commitAudit(this.#auditOps(opts.audit), ops);
      else if (ops.length > 0) await this.#db.batch(ops, SYNC);
      if (ops.length === 0) return 0;
      if (opts.compact ?? true) await compactKeys(this.#db, touched);
      return touched.filter((k) => k.startsWith(PREFIX.rec)).length;
    });
  }

  /**
   * The statistics counters of the UTC days [fromDay, toDay) (YYYY-MM-DD): what GET /stats
   * aggregates, one entry per day × service × direction × agent group.
   */
  async statsCounters(fromDay: string, toDay: string): Promise<CounterCell[]> {
    return this.#read(() => readCounters(this.#db, fromDay, toDay));
  }

  /**
   * Recordings whose expiry is before `expiresBefore`, with only the plain fields retention
   * decides on (retention-scan.ts); page on with `after` = the previous page's `next`.
   */
  async duePage(expiresBefore: Date, after: string | null = null, limit = 1000): Promise<DuePage> {
    return this.#read(() => duePage(this.#db, expiresBefore.getTime(), after, limit));
  }

  /**
   * Compacts every recording key range: what deleteRecordings(…, {compact: true}) does for its
   * own keys, once for a whole run of deletions (a retention purge) instead of per batch, whose
   * spans cover nearly the whole index when ids and times are spread.
   */
  async compactRecordings(): Promise<void> {
    return this.#write(() =>
      compactKeys(
        this.#db,
        RECORDING_PREFIXES.flatMap((p) => [p, p + KEY_END]),
      ),
    );
  }

  async search(query: SearchQuery): Promise<SearchResult> {
    const q = normaliseQuery(query, this.#opts.blindIndexKey, true, this.#numbers);
    return this.#read(async () => {
      const rows = await runSearch(this.#db, q, q.limit + 1);
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      const nextCursor =
        rows.length > q.limit && last !== undefined ? encodeCursor(positionOfRecord(last), q) : null;
      const sealed = page.filter((s) => s.k === 'r').map((s) => s.id);
      const rks = new Map<string, Buffer | undefined>();
      if (sealed.length > 0)
        (await this.#recordKeys(sealed)).forEach((k, i) => rks.set(sealed[i] as string, k));
      return { items: page.map((s) => decodeRecord(s, this.#opts.fieldKey, rks.get(s.id))), nextCursor };
    });
  }

  /** Matches of the query's filters (limit, cursor and order are ignored). */
  async count(query: SearchQuery): Promise<number> {
    const q = normaliseQuery(query, this.#opts.blindIndexKey, false, this.#numbers);
    return this.#read(() => runCount(this.#db, q));
  }

  async listIds(): Promise<string[]> {
    return this.#read(async () => {
      const keys = await this.#db.keys({ gte: PREFIX.rec, lt: PREFIX.rec + KEY_END }).all();
      return keys.map((k) => k.slice(PREFIX.rec.length));
    });
  }

  /** Finds (and with repair: true, fixes) secondary entries out of step with their records. */
  async checkConsistency(opts: { repair?: boolean } = {}): Promise<ConsistencyReport> {
    return this.#write(() => checkConsistency(this.#db, opts.repair ?? false, this.#log));
  }

  /**
   * Wipes recordings and secondary entries (users, grants and audit stay) and refills them from
   * the vault's metadata. Returns the number of recordings indexed.
   */
  async rebuild(records: AsyncIterable<RecordingRecord>): Promise<number> {
    return this.#write(async () => {
      for (const prefix of RECORDING_PREFIXES) await this.#db.clear({ gte: prefix, lt: prefix + KEY_END });
      await this.#db.clear({ gte: STATS_PREFIX, lt: STATS_END });
      let n = 0;
      let batch: Op[] = [];
      const counters = new CounterDelta();
      for await (const rec of records) {
        const [rk] = await this.#recordKeys([rec.id]);
        const stored = encodeRecord(canonicalRecord(rec, this.#numbers), this.#keys, rk);
        pushPutOps(batch, null, stored);
        counters.add(contributionOf(stored), 1);
        n++;
        if (n % REBUILD_BATCH === 0) {
          await writeOps(this.#db, batch);
          batch = [];
        }
      }
      for (const [key, c] of counters.entries()) batch.push({ type: 'put', key, value: JSON.stringify(c) });
      batch.push(statsGroupsOp(this.#opts.statsAgentGroups ?? []));
      await writeOps(this.#db, batch);
      // Purges what the wipe left as tombstones: erased recordings must not survive a rebuild.
      await compactKeys(
        this.#db,
        RECORDING_PREFIXES.flatMap((p) => [p, p + KEY_END]),
      );
      this.#log.info({ recordings: n }, 'index rebuilt');
      return n;
    });
  }

  /** Stores a user; with `audit`, the entry lands in the same batch (both or neither). */
  async putUser(input: UserInput, audit?: AuditInput): Promise<User> {
    const user = canonicalUser(input, this.#now());
    return this.#write(async () => {
      const op: Op = { type: 'put', key: PREFIX.user + user.username, value: JSON.stringify(user) };
      if (audit === undefined) await this.#db.batch([op], SYNC);
      else await this.#commitAudit(this.#auditOps(audit), [op]);
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
    return this.#read(() => loadUser(this.#db, username));
  }

  async listUsers(): Promise<User[]> {
    return this.#read(() => loadUsers(this.#db));
  }

  /** Deletes the user and, in the same batch, every grant held by them. */
  async deleteUser(username: string): Promise<boolean> {
    return this.#write(() => removeUser(this.#db, username));
  }

  /**
   * Stores a DPO grant for an existing user (CV_ERR_INDEX_NOT_FOUND otherwise); with `audit`,
   * the entry lands in the same batch (both or neither).
   */
  async putGrant(input: GrantInput, audit?: AuditInput): Promise<Grant> {
    const grant = canonicalGrant(input, randomUUID(), this.#now());
    return this.#write(async () => {
      const op = await grantPutOp(this.#db, grant);
      if (audit === undefined) await this.#db.batch([op], SYNC);
      else
        await this.#commitAudit(
          this.#auditOps({ ...audit, detail: { ...(audit.detail ?? {}), grantId: grant.id } }),
          [op],
        );
      return grant;
    });
  }

  /** One grant, expired or not; null when unknown (revoked grants are deleted). */
  async getGrant(id: string): Promise<Grant | null> {
    return this.#read(() => loadGrant(this.#db, id));
  }

  /** Grants in force now (or all with includeExpired), optionally of one user. */
  async listGrants(query: { username?: string; includeExpired?: boolean } = {}): Promise<Grant[]> {
    return this.#read(async () => {
      const nowMs = this.#now().getTime();
      return (await loadGrants(this.#db)).filter(
        (g) =>
          (query.username === undefined || g.username === query.username) &&
          (query.includeExpired === true || Date.parse(g.expiresAt) > nowMs),
      );
    });
  }

  /**
   * Deletes a grant; false when there is none. With `audit`, the entry lands in the same batch
   * as the deletion (and is not written when there was nothing to revoke).
   */
  async revokeGrant(id: string, audit?: AuditInput): Promise<boolean> {
    return this.#write(async () => {
      if ((await loadGrant(this.#db, id)) === null) return false;
      const op: Op = { type: 'del', key: PREFIX.grant + id };
      if (audit === undefined) await this.#db.batch([op], SYNC);
      else await this.#commitAudit(this.#auditOps(audit), [op]);
      return true;
    });
  }

  /** Appends one entry to the chain (and an anchor every auditAnchorEvery entries). */
  async appendAudit(input: AuditInput): Promise<AuditEntry> {
    return this.#write(async () => {
      const a = this.#auditOps(input);
      await this.#commitAudit(a, []);
      return a.entry;
    });
  }

  /**
   * Appends several entries in order, in one synced batch (one anchor update): a retention run
   * audits each recording it removes without one fsync per recording.
   */
  async appendAudits(inputs: readonly AuditInput[]): Promise<AuditEntry[]> {
    if (inputs.length === 0) return [];
    return this.#write(async () => {
      const head = this.#head;
      const appends: AuditAppend[] = [];
      try {
        for (const input of inputs) {
          const a = this.#auditOps(input);
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
      // anchored last is set here, not by #commitAudit (it would take the last entry's).
      await this.#commitAudit({ ...last, anchored: false, ops: appends.flatMap((a) => a.ops) }, []);
      if (anchoredAt !== undefined) this.#lastAnchor = anchoredAt.head.seq;
      return appends.map((a) => a.entry);
    });
  }

  /** Runs inside a write job: the head cannot move between building and committing. */
  #auditOps(input: AuditInput): AuditAppend {
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
  async #commitAudit(a: AuditAppend, ops: readonly Op[]): Promise<void> {
    await writeOps(this.#db, [...ops, ...a.ops]);
    this.#head = a.head;
    if (a.anchored) this.#lastAnchor = a.head.seq;
    try {
      await this.#opts.auditAnchor?.write(a.head);
    } catch (err) {
      this.#log.error({ err, auditSeq: a.head.seq }, 'audit anchor not updated; it lags the chain');
    }
  }

  async listAudit(query: AuditListQuery = {}): Promise<AuditEntry[]> {
    return this.#read(() => listAuditEntries(this.#db, query));
  }

  /** Queued, so no append can fall between reading the chain and reading its anchor. */
  async verifyAudit(): Promise<AuditVerifyResult> {
    return this.#write(async () =>
      verifyAuditChain(this.#db, this.#opts.verifySignature, await this.#opts.auditAnchor?.read()),
    );
  }

  /** Idempotent: drains queued writes, anchors the audit head, closes LevelDB. */
  close(): Promise<void> {
    if (this.#closing !== null) return this.#closing;
    this.#closed = true;
    this.#closing = (async () => {
      await this.#h.drain();
      try {
        if (this.#head.seq > this.#lastAnchor && !this.#h.broken && this.#db.status === 'open') {
          const value = anchorValue(this.#head, this.#now().toISOString(), this.#opts.sign);
          await this.#db.put(seqKey(PREFIX.anchor, this.#head.seq), value, SYNC);
          this.#lastAnchor = this.#head.seq;
        }
      } finally {
        await this.#h.close();
        this.#log.info({ dir: this.#opts.dir }, 'index closed');
      }
    })();
    return this.#closing;
  }
}
