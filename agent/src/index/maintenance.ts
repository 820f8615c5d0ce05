/** Schema versioning, compaction after erasure, and the secondary-entry consistency check. */
import type { Logger } from '../common/index.js';
import { IndexCorruptError, IndexSchemaError } from './errors.js';
import { KEY_END, PREFIX, RECORDING_PREFIXES, SCHEMA_KEY, recKey } from './keys.js';
import { entryKeys, parseStored } from './record-codec.js';
import type { BatchOp } from './record-codec.js';
import type { Db } from './storage.js';
import type { ConsistencyReport, Migration } from './types.js';

/** The layout this build writes (see keys.ts). */
export const SCHEMA_VERSION = 1;
const BUILT_IN_MIGRATIONS: readonly Migration[] = [];
const CHUNK = 500;

/**
 * Brings the stored schema to the newest version reachable with the known migrations. The
 * version key is written after each step, so a migration must be safe to run again if the
 * process dies between its writes and the version bump.
 */
export async function migrate(
  db: Db,
  fresh: boolean,
  extra: readonly Migration[],
  log: Logger,
): Promise<number> {
  const stored = await db.get(SCHEMA_KEY);
  let version: number;
  if (stored === undefined) {
    if (!fresh && (await db.keys({ limit: 1 }).all()).length > 0)
      throw new IndexCorruptError('the schema version key is missing');
    version = SCHEMA_VERSION;
    await db.put(SCHEMA_KEY, String(version));
  } else {
    version = Number(stored);
    if (!Number.isSafeInteger(version) || version < 1)
      throw new IndexCorruptError(`schema version "${stored}" is invalid`);
  }
  const all = [...BUILT_IN_MIGRATIONS, ...extra];
  const target = Math.max(SCHEMA_VERSION, ...all.map((m) => m.from + 1));
  if (version > target) {
    throw new IndexSchemaError(
      `the index has schema version ${version}, newer than this build supports (${target})`,
      {
        context: { version, supported: target },
      },
    );
  }
  while (version < target) {
    const m = all.find((x) => x.from === version);
    if (m === undefined)
      throw new IndexSchemaError(`no migration from schema version ${version}`, { context: { version } });
    log.info({ from: version, to: version + 1 }, 'index schema migration');
    try {
      await m.run(db, log);
    } catch (cause) {
      throw new IndexSchemaError(`migration from schema version ${version} failed`, {
        cause,
        context: { version },
      });
    }
    version++;
    await db.put(SCHEMA_KEY, String(version));
  }
  return version;
}

/** Compacts the span of the given keys within each key prefix (one narrow range per prefix). */
export async function compactKeys(db: Db, keys: readonly string[]): Promise<void> {
  const spans = new Map<string, [string, string]>();
  for (const k of keys) {
    const p = k.slice(0, 2);
    const span = spans.get(p);
    if (span === undefined) spans.set(p, [k, k]);
    else spans.set(p, [k < span[0] ? k : span[0], k > span[1] ? k : span[1]]);
  }
  for (const [lo, hi] of spans.values()) await db.compactRange(lo, hi);
}

export async function checkConsistency(db: Db, repair: boolean, log: Logger): Promise<ConsistencyReport> {
  const incomplete: string[] = [];
  const dangling: string[] = [];
  const fixes: BatchOp[] = [];
  let records = 0;
  let entries = 0;

  const recIt = db.iterator({ gte: PREFIX.rec, lt: PREFIX.rec + KEY_END });
  try {
    for (let chunk = await recIt.nextv(CHUNK); chunk.length > 0; chunk = await recIt.nextv(CHUNK)) {
      for (const [key, value] of chunk) {
        records++;
        const id = key.slice(PREFIX.rec.length);
        const want = entryKeys(parseStored(id, value));
        const have = await db.getMany(want);
        const missing = want.filter((_, i) => have[i] === undefined);
        if (missing.length > 0) incomplete.push(id);
        for (const k of missing) fixes.push({ type: 'put', key: k, value: '' });
      }
    }
  } finally {
    await recIt.close();
  }

  for (const prefix of RECORDING_PREFIXES) {
    if (prefix === PREFIX.rec) continue;
    const it = db.keys({ gte: prefix, lt: prefix + KEY_END });
    try {
      for (let chunk = await it.nextv(CHUNK); chunk.length > 0; chunk = await it.nextv(CHUNK)) {
        entries += chunk.length;
        const ids = chunk.map((k) => k.slice(k.lastIndexOf('!') + 1));
        const values = await db.getMany(ids.map(recKey));
        chunk.forEach((k, i) => {
          const v = values[i];
          const id = ids[i] as string;
          if (v === undefined || !entryKeys(parseStored(id, v)).includes(k)) {
            dangling.push(k);
            fixes.push({ type: 'del', key: k });
          }
        });
      }
    } finally {
      await it.close();
    }
  }
  const repaired = repair && fixes.length > 0;
  if (repaired) await db.batch(fixes);
  if (fixes.length > 0)
    log.warn(
      { dangling: dangling.length, incomplete: incomplete.length, repaired },
      'index entries out of step',
    );
  return { records, entries, dangling, incomplete, repaired };
}
