/**
 * Where things live under storage.dir: recordings/YYYY/MM/DD/<id>.wav.enc (UTC date of the
 * start; the name carries no personal data) and keystore/. Directories are created 0700.
 */
import { constants as fsc, type Dirent } from 'node:fs';
import { access, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isRecordingId } from './container.js';
import { VaultStorageError } from './errors.js';

export const RECORDINGS_DIR = 'recordings';
export const KEYSTORE_DIR = 'keystore';
export const CONTAINER_SUFFIX = '.wav.enc';

export function containerPath(dir: string, id: string, startedMs: number): string {
  const d = new Date(startedMs);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return join(
    dir,
    RECORDINGS_DIR,
    String(d.getUTCFullYear()),
    p2(d.getUTCMonth() + 1),
    p2(d.getUTCDate()),
    `${id}${CONTAINER_SUFFIX}`,
  );
}

async function entries(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Every file below `dir`, depth first. */
export async function* walkFiles(dir: string): AsyncGenerator<string> {
  for (const e of await entries(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walkFiles(p);
    else if (e.isFile()) yield p;
  }
}

/** Containers below recordings/ as id → path (files whose name is not `<uuid>.wav.enc` are ignored). */
export async function listContainers(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const p of walkFiles(join(dir, RECORDINGS_DIR))) {
    const name = p.slice(p.lastIndexOf('/') + 1);
    if (!name.endsWith(CONTAINER_SUFFIX)) continue;
    const id = name.slice(0, -CONTAINER_SUFFIX.length);
    if (isRecordingId(id)) out.set(id, p);
  }
  return out;
}

export async function totalBytes(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for await (const p of walkFiles(dir)) {
    try {
      bytes += (await stat(p)).size;
      files++;
    } catch {
      // A file erased while we walk is simply not counted.
    }
  }
  return { files, bytes };
}

/**
 * Creates storage.dir (0700, its parent must exist) and its `subdirs`, and checks it is a usable
 * directory: anything else is CV_ERR_VAULT_STORAGE at open, not a failure at the first write.
 */
export async function prepareStorageDir(dir: string, subdirs: readonly string[]): Promise<void> {
  try {
    await mkdir(dir, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
    await access(dir, fsc.R_OK | fsc.W_OK | fsc.X_OK);
    for (const sub of subdirs) await mkdir(join(dir, sub), { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new VaultStorageError('storage directory is missing or not usable', {
      cause: err,
      context: { path: dir },
    });
  }
}
