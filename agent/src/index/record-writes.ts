/**
 * The batches RecordingIndex writes for recordings: puts that replace stale secondary entries,
 * deletions, and the refill of a rebuild. Each keeps the statistics counters in the same batch
 * as the records they count. Callers run these inside the index's write queue.
 */
import type { Logger } from '../common/index.js';
import { KEY_END, PREFIX, RECORDING_PREFIXES, recKey } from './keys.js';
import { entryKeys, isValidId, parseStored, pushPutOps, putOps } from './record-codec.js';
import type { PreparedRecord, StoredRecord } from './record-codec.js';
import { compactKeys } from './maintenance.js';
import { writeOps } from './storage.js';
import type { BatchOp, Db } from './storage.js';
import { CounterDelta, STATS_END, STATS_PREFIX, contributionOf } from './stats-counters.js';
import { statsGroupsOp } from './stats-recount.js';
import type { RecordingRecord } from './types.js';

const REBUILD_BATCH = 1000;

/** Every recording key range, as [from, to] pairs for compactKeys. */
export function recordingSpans(): string[] {
  return RECORDING_PREFIXES.flatMap((p) => [p, p + KEY_END]);
}

/**
 * The queued part of a put: only what depends on the stored state (stale entries of replaced
 * records, their counters) is done here, straight into a chained batch the caller writes.
 */
export async function fillBatch(
  db: Db,
  items: readonly PreparedRecord[],
  keys: readonly string[],
  prev: readonly (string | undefined)[],
): Promise<ReturnType<Db['batch']>> {
  // Entry keys currently stored per id, for the records being replaced (and in-batch repeats).
  const current = new Map<string, readonly string[]>();
  const counted = new Map<string, PreparedRecord['stat']>();
  const delta = new CounterDelta();
  const batch = db.batch();
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
    for (const op of await delta.ops(db))
      if (op.type === 'put') batch.put(op.key, op.value);
      else batch.del(op.key);
  } catch (err) {
    void batch.close();
    throw err;
  }
  return batch;
}

/**
 * Writes prepared records, their stale entries removed and counters moved, in one batch built
 * straight into a chained batch: no op objects for LevelDB to read back.
 */
export function writePrepared(
  db: Db,
  items: readonly PreparedRecord[],
  options: { sync?: boolean },
): Promise<void> {
  const keys = items.map((p) => recKey(p.id));
  // Promise chain rather than an async function, so that `items` can be collected while
  // LevelDB writes: the batch holds its own copy of every key and value.
  return db
    .getMany(keys)
    .then((prev) => fillBatch(db, items, keys, prev))
    .then((batch) => batch.write(options));
}

/**
 * The ops replacing a stored recording by its new encoding. Rectification and anonymisation
 * can move a record between cells: the counters follow, in the same ops.
 */
export async function replaceOps(db: Db, prev: StoredRecord, next: StoredRecord): Promise<BatchOp[]> {
  const ops = putOps(prev, next);
  const delta = new CounterDelta();
  delta.add(contributionOf(prev), -1);
  delta.add(contributionOf(next), 1);
  ops.push(...(await delta.ops(db)));
  return ops;
}

/**
 * The ops deleting these recordings (unknown ids are skipped) with every secondary entry and
 * their counters' share, and the keys touched (to compact afterwards).
 */
export async function deleteOps(
  db: Db,
  ids: readonly string[],
): Promise<{ ops: BatchOp[]; touched: string[] }> {
  const ops: BatchOp[] = [];
  const touched: string[] = [];
  const delta = new CounterDelta();
  const unique = [...new Set(ids)].filter(isValidId);
  const values = unique.length === 0 ? [] : await db.getMany(unique.map(recKey));
  unique.forEach((id, i) => {
    const v = values[i];
    if (v === undefined) return;
    const s = parseStored(id, v);
    const keys = [recKey(id), ...entryKeys(s)];
    for (const key of keys) ops.push({ type: 'del', key });
    touched.push(...keys);
    delta.add(contributionOf(s), -1);
  });
  ops.push(...(await delta.ops(db)));
  return { ops, touched };
}

/** How many of the touched keys were recordings (not secondary entries). */
export function recordCount(touched: readonly string[]): number {
  return touched.filter((k) => k.startsWith(PREFIX.rec)).length;
}

/**
 * Wipes recordings, secondary entries and counters (users, grants and audit stay) and refills
 * them from `records`, encoded by `encode`. Returns the number of recordings indexed.
 */
export async function refill(
  db: Db,
  records: AsyncIterable<RecordingRecord>,
  encode: (rec: RecordingRecord) => Promise<StoredRecord>,
  statsAgentGroups: readonly string[],
  log: Logger,
): Promise<number> {
  for (const prefix of RECORDING_PREFIXES) await db.clear({ gte: prefix, lt: prefix + KEY_END });
  await db.clear({ gte: STATS_PREFIX, lt: STATS_END });
  let n = 0;
  let batch: BatchOp[] = [];
  const counters = new CounterDelta();
  for await (const rec of records) {
    const stored = await encode(rec);
    pushPutOps(batch, null, stored);
    counters.add(contributionOf(stored), 1);
    n++;
    if (n % REBUILD_BATCH === 0) {
      await writeOps(db, batch);
      batch = [];
    }
  }
  for (const [key, c] of counters.entries()) batch.push({ type: 'put', key, value: JSON.stringify(c) });
  batch.push(statsGroupsOp(statsAgentGroups));
  await writeOps(db, batch);
  // Purges what the wipe left as tombstones: erased recordings must not survive a rebuild.
  await compactKeys(db, recordingSpans());
  log.info({ recordings: n }, 'index rebuilt');
  return n;
}
