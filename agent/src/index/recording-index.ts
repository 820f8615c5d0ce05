/**
 * RecordingIndex: the LevelDB-backed index of recordings, users, grants and the audit chain.
 * Writes are serialised through one queue (read-modify-write of secondary entries and audit
 * sequence numbers must not interleave) and each lands in one atomic batch. close() stops new
 * calls, drains the queue, anchors the audit head and closes LevelDB; it is idempotent.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../common/index.js';
import {
  anchorValue,
  auditBody,
  lastAnchorSeq,
  listAuditEntries,
  readHead,
  sealAuditEntry,
  verifyAuditChain,
} from './audit.js';
import type { AuditHead } from './audit.js';
import { IndexBadRecordError, IndexClosedError, IndexNotFoundError } from './errors.js';
import { assertKey, cachedBlinder, openFields, sealFields } from './field-crypto.js';
import { AUDIT_HEAD_KEY, KEY_END, PREFIX, RECORDING_PREFIXES, recKey, seqKey } from './keys.js';
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
import { openDb, toIndexError, writeOps } from './storage.js';
import type { Db } from './storage.js';
import {
  canonicalGrant,
  canonicalUser,
  loadGrants,
  loadUser,
  loadUsers,
  removeGrant,
  removeUser,
  storeGrant,
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
  readonly #db: Db;
  readonly #opts: IndexOptions;
  readonly #log: Logger;
  readonly #anchorEvery: number;
  readonly #now: () => Date;
  readonly #keys: FieldKeys;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  #closing: Promise<void> | null = null;
  #head: AuditHead;
  #lastAnchor: number;

  private constructor(db: Db, opts: IndexOptions, head: AuditHead, lastAnchor: number) {
    this.#db = db;
    this.#opts = opts;
    this.#log = opts.log.child({ component: 'index' });
    this.#anchorEvery = opts.auditAnchorEvery ?? DEFAULT_ANCHOR_EVERY;
    this.#now = opts.now ?? (() => new Date());
    this.#keys = { blind: cachedBlinder(opts.blindIndexKey), fieldKey: opts.fieldKey };
    this.#head = head;
    this.#lastAnchor = lastAnchor;
  }

  /** Use openIndex(). Resolves when the schema is current and the audit head is loaded. */
  static async open(opts: IndexOptions, allowMissingSchema = false): Promise<RecordingIndex> {
    assertKey(opts.blindIndexKey, 'blindIndexKey');
    assertKey(opts.fieldKey, 'fieldKey');
    const { db, fresh } = await openDb(opts.dir);
    try {
      await migrate(db, fresh || allowMissingSchema, opts.migrations ?? [], opts.log);
      const index = new RecordingIndex(db, opts, await readHead(db), await lastAnchorSeq(db));
      opts.log.info({ dir: opts.dir, fresh, auditSeq: index.#head.seq }, 'index open');
      return index;
    } catch (err) {
      await db.close();
      throw toIndexError(err, opts.dir);
    }
  }

  #check(): void {
    if (this.#closed) throw new IndexClosedError();
  }

  /** Runs fn after every write queued before it; LevelDB errors become coded errors. */
  #write<T>(fn: () => Promise<T>): Promise<T> {
    this.#check();
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run.catch((err: unknown) => {
      throw toIndexError(err, this.#opts.dir);
    });
  }

  async #read<T>(fn: () => Promise<T>): Promise<T> {
    this.#check();
    try {
      return await fn();
    } catch (err) {
      throw toIndexError(err, this.#opts.dir);
    }
  }

  async #stored(id: string): Promise<StoredRecord | null> {
    if (!isValidId(id)) return null;
    const v = await this.#db.get(recKey(id));
    return v === undefined ? null : parseStored(id, v);
  }

  /** Inserts or replaces one recording with all its secondary entries in one batch. */
  async putRecording(rec: RecordingRecord): Promise<RecordingRecord> {
    const canonical = canonicalRecord(rec);
    await this.#putPrepared([prepareStored(encodeRecord(canonical, this.#keys))]);
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
      return this.#putPrepared(recs.map((r) => prepareRecord(r, this.#keys))).then(() => n);
    } catch (err) {
      return Promise.reject(err as Error);
    }
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
      this.#db.getMany(keys).then((prev) => this.#fillBatch(items, keys, prev).write()),
    );
  }

  #fillBatch(
    items: readonly PreparedRecord[],
    keys: readonly string[],
    prev: readonly (string | undefined)[],
  ): ReturnType<Db['batch']> {
    // Entry keys currently stored per id, for the records being replaced (and in-batch repeats).
    const current = new Map<string, readonly string[]>();
    const batch = this.#db.batch();
    try {
      prev.forEach((v, i) => {
        const id = (items[i] as PreparedRecord).id;
        if (v !== undefined && !current.has(id)) current.set(id, entryKeys(parseStored(id, v)));
      });
      for (let i = 0; i < items.length; i++) {
        const p = items[i] as PreparedRecord;
        const old = current.get(p.id);
        if (old !== undefined) for (const k of old) if (!p.keys.includes(k)) batch.del(k);
        batch.put(keys[i] as string, p.value);
        for (const k of p.keys) batch.put(k, '');
        current.set(p.id, p.keys);
      }
    } catch (err) {
      void batch.close();
      throw err;
    }
    return batch;
  }

  async getRecording(id: string): Promise<RecordingRecord | null> {
    return this.#read(async () => {
      const s = await this.#stored(id);
      return s === null ? null : decodeRecord(s, this.#opts.fieldKey);
    });
  }

  /** Merges the patch into the stored recording (id cannot change). */
  async update(id: string, patch: RecordingPatch): Promise<RecordingRecord> {
    return this.#write(async () => {
      const prev = await this.#stored(id);
      if (prev === null) throw new IndexNotFoundError('recording', id);
      if ('id' in patch && (patch as { id?: unknown }).id !== id)
        throw new IndexBadRecordError('id', 'cannot be changed', id);
      const next = canonicalRecord({ ...decodeRecord(prev, this.#opts.fieldKey), ...patch, id });
      await writeOps(this.#db, putOps(prev, encodeRecord(next, this.#keys)));
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
  async deleteRecording(id: string, opts: { compact?: boolean } = {}): Promise<boolean> {
    return (await this.deleteRecordings([id], opts)) === 1;
  }

  async deleteRecordings(ids: readonly string[], opts: { compact?: boolean } = {}): Promise<number> {
    return this.#write(async () => {
      const ops: Op[] = [];
      const touched: string[] = [];
      for (const id of new Set(ids)) {
        const s = await this.#stored(id);
        if (s === null) continue;
        const keys = [recKey(id), ...entryKeys(s)];
        for (const key of keys) ops.push({ type: 'del', key });
        touched.push(...keys);
      }
      if (ops.length === 0) return 0;
      await this.#db.batch(ops);
      if (opts.compact ?? true) await compactKeys(this.#db, touched);
      return touched.filter((k) => k.startsWith(PREFIX.rec)).length;
    });
  }

  async search(query: SearchQuery): Promise<SearchResult> {
    const q = normaliseQuery(query, this.#opts.blindIndexKey);
    return this.#read(async () => {
      const rows = await runSearch(this.#db, q, q.limit + 1);
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      const nextCursor =
        rows.length > q.limit && last !== undefined ? encodeCursor(positionOfRecord(last), q) : null;
      return { items: page.map((s) => decodeRecord(s, this.#opts.fieldKey)), nextCursor };
    });
  }

  /** Matches of the query's filters (limit, cursor and order are ignored). */
  async count(query: SearchQuery): Promise<number> {
    const q = normaliseQuery(query, this.#opts.blindIndexKey, false);
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
      let n = 0;
      let batch: Op[] = [];
      for await (const rec of records) {
        pushPutOps(batch, null, encodeRecord(canonicalRecord(rec), this.#keys));
        n++;
        if (n % REBUILD_BATCH === 0) {
          await writeOps(this.#db, batch);
          batch = [];
        }
      }
      if (batch.length > 0) await writeOps(this.#db, batch);
      // Purges what the wipe left as tombstones: erased recordings must not survive a rebuild.
      await compactKeys(
        this.#db,
        RECORDING_PREFIXES.flatMap((p) => [p, p + KEY_END]),
      );
      this.#log.info({ recordings: n }, 'index rebuilt');
      return n;
    });
  }

  async putUser(input: UserInput): Promise<User> {
    const user = canonicalUser(input, this.#now());
    return this.#write(async () => {
      await this.#db.put(PREFIX.user + user.username, JSON.stringify(user));
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

  /** Stores a DPO grant for an existing user (CV_ERR_INDEX_NOT_FOUND otherwise). */
  async putGrant(input: GrantInput): Promise<Grant> {
    const grant = canonicalGrant(input, randomUUID(), this.#now());
    return this.#write(() => storeGrant(this.#db, grant));
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

  async revokeGrant(id: string): Promise<boolean> {
    return this.#write(() => removeGrant(this.#db, id));
  }

  /** Appends one entry to the chain (and an anchor every auditAnchorEvery entries). */
  async appendAudit(input: AuditInput): Promise<AuditEntry> {
    return this.#write(async () => {
      const seq = this.#head.seq + 1;
      const ts = this.#now().toISOString();
      const { value, entry } = sealAuditEntry(
        auditBody(input, seq, this.#head.hash, ts, this.#opts.blindIndexKey),
      );
      const head = { seq, hash: entry.hash };
      const ops: Op[] = [
        { type: 'put', key: seqKey(PREFIX.audit, seq), value },
        { type: 'put', key: AUDIT_HEAD_KEY, value: JSON.stringify(head) },
      ];
      const anchor = seq % this.#anchorEvery === 0;
      if (anchor)
        ops.push({
          type: 'put',
          key: seqKey(PREFIX.anchor, seq),
          value: anchorValue(head, ts, this.#opts.sign),
        });
      await this.#db.batch(ops);
      this.#head = head;
      if (anchor) this.#lastAnchor = seq;
      return entry;
    });
  }

  async listAudit(query: AuditListQuery = {}): Promise<AuditEntry[]> {
    return this.#read(() => listAuditEntries(this.#db, query));
  }

  async verifyAudit(): Promise<AuditVerifyResult> {
    return this.#read(() => verifyAuditChain(this.#db, this.#opts.verifySignature));
  }

  /** Idempotent: drains queued writes, anchors the audit head, closes LevelDB. */
  close(): Promise<void> {
    if (this.#closing !== null) return this.#closing;
    this.#closed = true;
    this.#closing = (async () => {
      await this.#queue;
      try {
        if (this.#head.seq > this.#lastAnchor) {
          const value = anchorValue(this.#head, this.#now().toISOString(), this.#opts.sign);
          await this.#db.put(seqKey(PREFIX.anchor, this.#head.seq), value);
          this.#lastAnchor = this.#head.seq;
        }
      } finally {
        await this.#db.close();
        this.#log.info({ dir: this.#opts.dir }, 'index closed');
      }
    })();
    return this.#closing;
  }
}
