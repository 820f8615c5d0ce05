/**
 * fsync policy 'batch': one vault-wide timer fsyncs every file written since the last tick,
 * and every directory that gained a file. The appliance disk manages ~900 fsync/s; a file per
 * call and a segment every 2 s per call would spend that budget (and a thread of libuv's pool)
 * at a few hundred calls if each segment were synced on its own.
 */
import { open } from 'node:fs/promises';

export interface Syncable {
  /** fsyncs the file through the writer's own operation queue (never concurrently with a write). */
  syncNow(): Promise<void>;
}

/** fsync of a directory, so a new entry in it survives power loss. */
export async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

/** syncfs(2) of the filesystem holding `dir` (native/fs-sync.c), when built. */
export interface FilesystemSync {
  readonly dir: string;
  syncfs(dir: string): Promise<void>;
}

export class BatchSyncer {
  readonly #intervalMs: number;
  readonly #dirty = new Set<Syncable>();
  readonly #dirs = new Set<string>();
  readonly #onDirError: (dir: string, err: unknown) => void;
  readonly #fs: FilesystemSync | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    intervalMs: number,
    onDirError: (dir: string, err: unknown) => void = () => undefined,
    fs?: FilesystemSync,
  ) {
    this.#intervalMs = intervalMs;
    this.#onDirError = onDirError;
    this.#fs = fs;
  }

  markDirty(w: Syncable): void {
    if (this.#closed) return;
    this.#dirty.add(w);
    this.#arm();
  }

  /** A file was created in `dir`: its entry is synced with the next batch. */
  markDirDirty(dir: string): void {
    if (this.#closed) return;
    this.#dirs.add(dir);
    this.#arm();
  }

  #arm(): void {
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => void this.#tick(), this.#intervalMs);
      this.#timer.unref();
    }
  }

  /** The writer syncs itself on finalize/close; it leaves the batch first. */
  remove(w: Syncable): void {
    this.#dirty.delete(w);
  }

  async #tick(): Promise<void> {
    this.#timer = undefined;
    await this.#syncAll();
  }

  async #syncAll(): Promise<void> {
    const batch = [...this.#dirty];
    const dirs = [...this.#dirs];
    this.#dirty.clear();
    this.#dirs.clear();
    if (batch.length + dirs.length === 0) return;
    if (this.#fs !== undefined) {
      // One syncfs covers every write that completed before it (a writer is marked dirty only
      // after its write), and the new directory entries. If it fails, each file is synced on
      // its own below, so a failing file is still reported by its writer.
      try {
        await this.#fs.syncfs(this.#fs.dir);
        return;
      } catch {
        // fall through
      }
    }
    // syncNow() never rejects: a failed fsync is the writer's error, reported by the writer.
    await Promise.all([
      ...batch.map((w) => w.syncNow()),
      ...dirs.map((d) => syncDir(d).catch((err: unknown) => this.#onDirError(d, err))),
    ]);
  }

  /** Syncs what is dirty and stops the timer. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#syncAll();
  }
}
