/**
 * Opening LevelDB safely. LevelDB notices a bad MANIFEST at open, but opens a table file lazily:
 * a truncated .ldb would surface only at the first read that touches it, long after the daemon
 * started. With CURRENT missing it would create a new empty database and delete the old tables
 * as obsolete, and a deleted or damaged write-ahead log is skipped without a word. So before
 * opening, the directory is checked (common/leveldb-files.ts) and damage is an integrity error
 * naming the fix, never a silent repair.
 *
 * Every write is synced (`sync: true`): a write that returned is in the log on disk, so it
 * survives kill -9 and power loss alike.
 */
import { mkdir, readdir, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { CallvaultError, inspectLevelDir, type LevelDirState } from '../common/index.js';
import { IndexCorruptError, IndexIoError, IndexLockedError } from './errors.js';

export type Db = ClassicLevel<string, string>;

/** Write options of every index write: see the file comment. */
export const SYNC = { sync: true } as const;

const LEVELDB_FILE_RE = /^(?:CURRENT|LOCK|LOG|LOG\.old|MANIFEST-\d+|\d+\.(?:ldb|sst|log|dbtmp))$/;

function errCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  const c = e?.cause?.code ?? e?.code;
  return typeof c === 'string' ? c : undefined;
}

/** Maps a classic-level error to the index's coded errors (corruption, lock, other I/O). */
export function mapDbError(err: unknown, dir: string): Error {
  const code = errCode(err);
  const message =
    (err as { cause?: { message?: unknown }; message?: unknown } | null)?.cause?.message ??
    (err as { message?: unknown } | null)?.message;
  const text = typeof message === 'string' ? message : String(err);
  if (code === 'LEVEL_LOCKED') return new IndexLockedError(dir, { cause: err });
  if (code === 'LEVEL_CORRUPTION' || /corrupt/i.test(text))
    return new IndexCorruptError(text, { cause: err, context: { dir } });
  if (code === 'LEVEL_IO_ERROR' && /\.(ldb|sst)\b/.test(text))
    return new IndexCorruptError(text, { cause: err, context: { dir } });
  return new IndexIoError(text, { cause: err, context: { dir } });
}

/** Coded errors pass through; anything from LevelDB is mapped by mapDbError. */
export function toIndexError(err: unknown, dir: string): Error {
  if (err instanceof CallvaultError) return err;
  return mapDbError(err, dir);
}

/** 'fresh' for a missing or empty directory; throws IndexCorruptError for a damaged one. */
export async function checkIndexDir(dir: string): Promise<'fresh' | 'existing'> {
  let found: LevelDirState;
  try {
    found = await inspectLevelDir(dir);
  } catch (err) {
    throw new IndexIoError(`cannot read ${dir}`, { cause: err, context: { dir } });
  }
  if (found.state === 'damaged')
    throw new IndexCorruptError(found.problem, { context: { dir, file: found.file } });
  return found.state;
}

const INFO_LOG_NOTE =
  "callvault keeps LevelDB's info log off: it would record the keys of erased recordings.\n";

/**
 * LevelDB writes an info log (LOG, rotated to LOG.old) that records the key range of every manual
 * compaction, so erasure would copy an erased recording's keys (its id and blind tokens) into a
 * text file. classic-level offers no option to turn it off; LevelDB turns it off by itself when it
 * cannot create LOG, which is the case when LOG and LOG.old are non-empty directories.
 */
async function disableInfoLog(dir: string): Promise<void> {
  for (const name of ['LOG', 'LOG.old']) {
    const path = join(dir, name);
    const st = await stat(path).catch(() => null);
    if (st !== null && !st.isDirectory()) await rm(path, { force: true });
    await mkdir(path, { recursive: true, mode: 0o700 });
    await writeFile(join(path, 'README'), INFO_LOG_NOTE, { mode: 0o600 });
  }
}

/**
 * Opens (creating when fresh) the LevelDB. Compression is off: the values are mostly ciphertext
 * and hashes, which Snappy cannot shrink, and uncompressed files keep the "no plaintext on disk"
 * test meaningful (a compressed block could hide a plaintext string from a byte scan).
 */
export async function openDb(dir: string): Promise<{ db: Db; fresh: boolean }> {
  const state = await checkIndexDir(dir);
  if (state === 'fresh') await mkdir(dir, { recursive: true, mode: 0o700 });
  await disableInfoLog(dir);
  const db = new ClassicLevel<string, string>(dir, {
    keyEncoding: 'utf8',
    valueEncoding: 'utf8',
    createIfMissing: state === 'fresh',
    compression: false,
    cacheSize: 32 * 1024 * 1024,
    // Inserts are the heavy load: a larger memtable means fewer, larger level-0 tables and less
    // compaction (a million recordings took 77 s of CPU against 85 s at 16 MiB, one run each).
    writeBufferSize: 64 * 1024 * 1024,
  });
  try {
    await db.open();
  } catch (err) {
    throw mapDbError(err, dir);
  }
  return { db, fresh: state === 'fresh' };
}

/**
 * Writes ops in one atomic batch through a chained batch. classic-level's array batch() reads
 * every op back through Node-API property lookups on the JS thread, about twice the cost of
 * handing it the key and value directly; on the insert path that thread is the bottleneck.
 */
/** One LevelDB batch operation on string keys and values. */
export type BatchOp = { type: 'put'; key: string; value: string } | { type: 'del'; key: string };

export async function writeOps(db: Db, ops: readonly BatchOp[]): Promise<void> {
  const batch = db.batch();
  try {
    for (const op of ops) {
      if (op.type === 'put') batch.put(op.key, op.value);
      else batch.del(op.key);
    }
  } catch (err) {
    await batch.close();
    throw err;
  }
  await batch.write(SYNC);
}

/** Removes a LevelDB directory's own files (and the directory when that leaves it empty). */
export async function destroyIndex(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if (errCode(err) === 'ENOENT') return;
    throw new IndexIoError(`cannot read ${dir}`, { cause: err, context: { dir } });
  }
  for (const n of names) {
    if (n === 'lost' || n === 'LOG' || n === 'LOG.old')
      await rm(join(dir, n), { recursive: true, force: true });
    else if (LEVELDB_FILE_RE.test(n)) await rm(join(dir, n), { force: true });
  }
  try {
    await rmdir(dir);
  } catch {
    // Foreign files stay, and so does the directory holding them.
  }
}

/** LevelDB's RepairDB: salvages readable tables into a new MANIFEST, damaged files go to lost/. */
export async function repairIndex(dir: string): Promise<void> {
  try {
    await disableInfoLog(dir);
    await ClassicLevel.repair(dir);
  } catch (err) {
    throw mapDbError(err, dir);
  }
}
