/**
 * fsync policy 'batch': one vault-wide timer fsyncs every file written since the last tick.
 * The appliance disk manages ~900 fsync/s; with a hundred calls writing a segment every 2 s,
 * per-segment fsync is fine, but grouping keeps the budget for LevelDB and bursts.
 */
export interface Syncable {
  /** fsyncs the file through the writer's own operation queue (never concurrently with a write). */
  syncNow(): Promise<void>;
}

export class BatchSyncer {
  readonly #intervalMs: number;
  readonly #dirty = new Set<Syncable>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  markDirty(w: Syncable): void {
    if (this.#closed) return;
    this.#dirty.add(w);
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
    const batch = [...this.#dirty];
    this.#dirty.clear();
    // syncNow() never rejects: a failed fsync is the writer's error, reported by the writer.
    await Promise.all(batch.map((w) => w.syncNow()));
  }

  /** Syncs what is dirty and stops the timer. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = [...this.#dirty];
    this.#dirty.clear();
    await Promise.all(batch.map((w) => w.syncNow()));
  }
}
