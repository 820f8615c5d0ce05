/**
 * Per-recording index keys: the index seals a recording's personal fields under a key derived
 * from that recording's data key (HKDF, its own info string, so never the same key as the
 * container's AES-GCM). Destroying the data key (erasure, anonymisation) makes every copy of
 * those fields the index ever wrote — old values, log files, tables awaiting compaction —
 * undecryptable, whatever LevelDB still holds.
 *
 * Derived keys are memoised (two generations, like the index's blind-token memo): an index page
 * of 100 records costs one keystore getMany for the misses, not 100 reads. Erasure drops the
 * id from the memo before the data key goes.
 */
import { hkdfSync } from 'node:crypto';
import type { KeyStore } from './keys.js';

const INFO = 'callvault index-record v1';

export class RecordKeys {
  readonly #keys: KeyStore;
  readonly #max: number;
  #young = new Map<string, Buffer>();
  #old = new Map<string, Buffer>();
  /** Bumped by forget(): a look-up that started before an erasure must not memoise its key. */
  #epoch = 0;

  constructor(keys: KeyStore, maxEntries = 16384) {
    this.#keys = keys;
    this.#max = maxEntries;
  }

  #remember(id: string, key: Buffer): void {
    this.#young.set(id, key);
    if (this.#young.size >= this.#max) {
      this.#old = this.#young;
      this.#young = new Map();
    }
  }

  /** One key per id (same order); undefined where the recording has no data key (any more). */
  async get(ids: readonly string[]): Promise<(Buffer | undefined)[]> {
    const out: (Buffer | undefined)[] = new Array<Buffer | undefined>(ids.length);
    const missing: number[] = [];
    ids.forEach((id, i) => {
      const k = this.#young.get(id) ?? this.#old.get(id);
      if (k !== undefined) {
        out[i] = k;
        if (!this.#young.has(id)) this.#remember(id, k);
      } else missing.push(i);
    });
    if (missing.length === 0) return out;
    const epoch = this.#epoch;
    const dks = await this.#keys.dataKeys(missing.map((i) => ids[i] as string));
    missing.forEach((i, j) => {
      const dk = dks[j];
      if (dk === undefined) return;
      const k = Buffer.from(hkdfSync('sha256', dk, Buffer.alloc(0), INFO, 32));
      out[i] = k;
      if (epoch === this.#epoch) this.#remember(ids[i] as string, k);
    });
    return out;
  }

  /** Seeds the memo with a data key just made: the index put at the end of the call then hits. */
  learn(id: string, dataKey: Buffer): void {
    this.#remember(id, Buffer.from(hkdfSync('sha256', dataKey, Buffer.alloc(0), INFO, 32)));
  }

  forget(id: string): void {
    this.#epoch++;
    this.#young.delete(id);
    this.#old.delete(id);
  }
}
