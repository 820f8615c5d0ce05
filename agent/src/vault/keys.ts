/**
 * The keystore: a LevelDB of its own (not the index's) holding everything wrapped by the
 * master key —
 *   rk!<id>       {v:1, kid, wrapped, createdAt}  data key of one recording (createdAt = its start, ms)
 *   kcv!<kid>     key-check value: a constant sealed under master key kid, so a wrong master
 *                 key is refused at open before anything is written
 *   sign!ed25519  {v:1, kid, wrapped, publicKeyPem}  the appliance signing key (PKCS8)
 *   sv!<id>       {version, sha256, createdAt}  newest state sidecar of a recording (vault/state.ts)
 *   audit!anchor  {v:1, kid, wrapped}  the index's audit chain head {seq, hash}: a chain found
 *                 shorter than this lost index writes (see index/audit.ts)
 * wrapped = base64(iv 12 | ciphertext | tag 16), AES-256-GCM, AAD binding the entry's purpose.
 * Erasing a recording deletes rk!<id> and compacts that range so the wrapped key leaves the
 * SST and log files; without it the container can never be decrypted (crypto-shred).
 *
 * Durability: every write is synced. The directory is checked before LevelDB opens it (a
 * deleted or damaged write-ahead log, a missing table: exit 2, restore from a backup — never a
 * silent repair), and a keystore that is new or empty while recordings exist is refused. After
 * a failed write the database is reopened before the next one (see index/db-handle.ts:
 * LevelDB's log is left misaligned by a partial append, which loses later writes at reopen).
 */
import { createPublicKey, hkdfSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import type { ClassicLevel } from 'classic-level';
import { CallvaultError } from '../common/index.js';
import { VaultKeystoreCorruptError } from './errors.js';
import { parseEntry, seal, unseal, type WrappedEntry } from './key-wrap.js';
import { kcvValue, loadKeyMaterial, openLevel, type KeyStoreOpenOptions } from './keystore-open.js';
import { appendMasterKey, type KeyringSource, type MasterKeyring } from './master-keys.js';
import type { IndexKeys } from './types.js';

export type { KeyStoreOpenOptions };

const ANCHOR_ENTRY = 'audit!anchor';
const SYNC = { sync: true } as const;

interface PendingPut {
  readonly key: string;
  readonly value: string;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

export class KeyStore {
  #db: ClassicLevel<string, string>;
  readonly #path: string;
  /** A write failed: reopen before the next one (see the file comment). */
  #broken = false;
  #ring: MasterKeyring;
  readonly #signKey: KeyObject;
  readonly #verifyKey: KeyObject;
  readonly publicKeyPem: string;
  /** Data-key puts waiting for the next synced batch (group commit), or null: none gathering. */
  #gathering: PendingPut[] | null = null;
  #committing: Promise<void> = Promise.resolve();

  private constructor(
    path: string,
    db: ClassicLevel<string, string>,
    ring: MasterKeyring,
    signKey: KeyObject,
    publicKeyPem: string,
  ) {
    this.#path = path;
    this.#db = db;
    this.#ring = ring;
    this.#signKey = signKey;
    this.publicKeyPem = publicKeyPem;
    this.#verifyKey = createPublicKey(publicKeyPem);
  }

  /** Opens the keystore and the keyring, checks every key-check value, creates missing entries. */
  static async open(path: string, src: KeyringSource, opts: KeyStoreOpenOptions = {}): Promise<KeyStore> {
    const containersPresent = opts.containersPresent === true;
    const db = await openLevel(path, containersPresent);
    try {
      const m = await loadKeyMaterial(path, db, src, containersPresent);
      return new KeyStore(path, db, m.ring, m.signKey, m.publicKeyPem);
    } catch (err) {
      await db.close();
      throw err;
    }
  }

  get masterKeyCreated(): boolean {
    return this.#ring.created;
  }

  get currentKeyId(): number {
    return this.#ring.currentKeyId;
  }

  /** Generates, wraps and durably stores a recording's data key before its file exists. */
  async createDataKey(id: string, createdMs: number): Promise<Buffer> {
    const dk = randomBytes(32);
    const kid = this.#ring.currentKeyId;
    const wrapped = seal(this.#ring.keys.get(kid) as Buffer, dk, `cv-dk|${id}`);
    await this.#groupPut(`rk!${id}`, JSON.stringify({ v: 1, kid, wrapped, createdAt: createdMs }));
    return dk;
  }

  /**
   * Durable put with group commit: puts arriving while a synced batch is being written share
   * the next batch, so a burst of call set-ups costs one fsync per batch, not one per call.
   * Each caller still resumes only once its own entry is on disk.
   */
  #groupPut(key: string, value: string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#gathering === null) {
        const batch: PendingPut[] = [];
        this.#gathering = batch;
        this.#committing = this.#committing.then(async () => {
          this.#gathering = null;
          try {
            await this.#guarded(() =>
              this.#db.batch(
                batch.map((b) => ({ type: 'put' as const, key: b.key, value: b.value })),
                SYNC,
              ),
            );
            for (const b of batch) b.resolve();
          } catch (err) {
            for (const b of batch) b.reject(err);
          }
        });
      }
      this.#gathering.push({ key, value, resolve, reject });
    });
  }

  /** Reopens first when a write failed; marks the store broken when this one fails. */
  async #guarded<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#broken) {
      if (this.#db.status === 'open') await this.#db.close();
      this.#db = await openLevel(this.#path, false);
      this.#broken = false;
    }
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof CallvaultError)) this.#broken = true;
      throw err;
    }
  }

  /** Serialised with the group commits, so a reopen never runs under another write. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#committing.then(() => this.#guarded(fn));
    this.#committing = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** The open database; after a failed reopen, tries again first. */
  async #readable(): Promise<ClassicLevel<string, string>> {
    if (this.#db.status !== 'open') await this.#serial(async () => undefined);
    return this.#db;
  }

  /** The audit chain head last anchored here; undefined before the first one. */
  async auditAnchor(): Promise<{ seq: number; hash: string } | undefined> {
    const raw = await (await this.#readable()).get(ANCHOR_ENTRY);
    if (raw === undefined) return undefined;
    const e = parseEntry<WrappedEntry>(raw, ANCHOR_ENTRY);
    const mk = this.#ring.keys.get(e.kid);
    const plain = mk === undefined ? undefined : unseal(mk, e.wrapped, 'cv-audit-anchor');
    if (plain === undefined)
      throw new VaultKeystoreCorruptError('audit anchor cannot be unwrapped', {
        context: { entry: ANCHOR_ENTRY },
      });
    const head = JSON.parse(plain.toString('utf8')) as { seq: number; hash: string };
    return { seq: head.seq, hash: head.hash };
  }

  /** Sealed under the master key, so it cannot be lowered without it. Synced. */
  async setAuditAnchor(head: { seq: number; hash: string }): Promise<void> {
    const kid = this.#ring.currentKeyId;
    const wrapped = seal(
      this.#ring.keys.get(kid) as Buffer,
      Buffer.from(JSON.stringify({ seq: head.seq, hash: head.hash })),
      'cv-audit-anchor',
    );
    await this.#serial(() => this.#db.put(ANCHOR_ENTRY, JSON.stringify({ v: 1, kid, wrapped }), SYNC));
  }

  /** The data key and the key id that wraps it; undefined when destroyed or never made. */
  async dataKey(id: string): Promise<{ key: Buffer; kid: number; createdMs: number } | undefined> {
    const raw = await (await this.#readable()).get(`rk!${id}`);
    if (raw === undefined) return undefined;
    const e = parseEntry<WrappedEntry & { createdAt: number }>(raw, `rk!${id}`);
    const mk = this.#ring.keys.get(e.kid);
    const key = mk === undefined ? undefined : unseal(mk, e.wrapped, `cv-dk|${id}`);
    if (key === undefined)
      throw new VaultKeystoreCorruptError('data key cannot be unwrapped', {
        context: { recordingId: id, keyId: e.kid },
      });
    return { key, kid: e.kid, createdMs: e.createdAt };
  }

  /** True if an entry exists, even one that no longer unwraps. */
  async hasDataKey(id: string): Promise<boolean> {
    return (await (await this.#readable()).get(`rk!${id}`)) !== undefined;
  }

  /**
   * Crypto-shred: delete durably, then compact so the old value leaves the LevelDB files.
   * The first compaction moves a value still in the memtable/log into a table: LevelDB's
   * manual compaction only merges levels above the deepest one that held the key before it
   * flushed the memtable, so a value and its tombstone flushed together into one table
   * would both survive. With the value on disk first, the tombstone is merged down onto it
   * and both are dropped (tested by grepping the keystore files for the wrapped key).
   */
  async destroyDataKey(id: string): Promise<void> {
    await this.destroyDataKeys([id]);
  }

  /**
   * Destroys many data keys in one synced batch, compacting their span before and after as for
   * one (so no older copy of a key survives in a log or table file). A retention run of
   * thousands pays one fsync and two compactions per batch instead of per recording.
   */
  async destroyDataKeys(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const keys = ids.map((id) => `rk!${id}`).sort();
    const [first, last] = [keys[0]!, keys[keys.length - 1]!];
    await this.#serial(async () => {
      await this.#db.compactRange(first, last);
      await this.#db.batch(
        keys.map((key) => ({ type: 'del' as const, key })),
        SYNC,
      );
      await this.#db.compactRange(first, last);
    });
  }

  /**
   * Data keys of many recordings in one LevelDB read (index pages decode tens to hundreds of
   * records); undefined where destroyed or never made, or where the entry no longer unwraps.
   */
  async dataKeys(ids: readonly string[]): Promise<(Buffer | undefined)[]> {
    const raws = await this.#db.getMany(ids.map((id) => `rk!${id}`));
    return raws.map((raw, i) => {
      if (raw === undefined) return undefined;
      const id = ids[i] as string;
      try {
        const e = parseEntry<WrappedEntry & { createdAt: number }>(raw, `rk!${id}`);
        const mk = this.#ring.keys.get(e.kid);
        return mk === undefined ? undefined : unseal(mk, e.wrapped, `cv-dk|${id}`);
      } catch {
        return undefined;
      }
    });
  }

  /**
   * What erasure needs to know of many recordings, in one LevelDB read and without unwrapping
   * any key: whether a data key entry exists, when it was made (which places the container), and
   * whether a state sidecar is on record. A purge of thousands paid three reads per recording.
   */
  async eraseFacts(
    ids: readonly string[],
  ): Promise<{ hasKey: boolean; createdMs: number | undefined; hasState: boolean }[]> {
    const db = await this.#readable();
    const raws = await db.getMany(ids.flatMap((id) => [`rk!${id}`, `sv!${id}`]));
    return ids.map((id, i) => {
      const rk = raws[2 * i];
      let createdMs: number | undefined;
      if (rk !== undefined) {
        try {
          const at = parseEntry<WrappedEntry & { createdAt: number }>(rk, `rk!${id}`).createdAt;
          createdMs = Number.isFinite(at) ? at : undefined;
        } catch {
          createdMs = undefined;
        }
      }
      return { hasKey: rk !== undefined, createdMs, hasState: raws[2 * i + 1] !== undefined };
    });
  }

  /**
   * The version and hash of a recording's newest state sidecar (vault/state.ts): what makes an
   * older, validly signed copy put back over a newer one detectable. createdAt (ms) finds the
   * sidecar's date directory once the data key is gone (anonymised recordings).
   */
  async stateVersion(
    id: string,
  ): Promise<{ version: number; sha256: string; createdAt: number } | undefined> {
    const raw = await this.#db.get(`sv!${id}`);
    if (raw === undefined) return undefined;
    try {
      const o = JSON.parse(raw) as { version: number; sha256: string; createdAt: number };
      if (Number.isSafeInteger(o.version) && typeof o.sha256 === 'string' && Number.isFinite(o.createdAt))
        return o;
    } catch (err) {
      throw new VaultKeystoreCorruptError('keystore entry is malformed', {
        cause: err,
        context: { entry: `sv!${id}` },
      });
    }
    throw new VaultKeystoreCorruptError('keystore entry is malformed', { context: { entry: `sv!${id}` } });
  }

  async putStateVersion(
    id: string,
    v: { version: number; sha256: string; createdAt: number },
  ): Promise<void> {
    await this.#serial(() => this.#db.put(`sv!${id}`, JSON.stringify(v), SYNC));
  }

  /** Recordings with a state sidecar on record (anonymised ones have no container any more). */
  async stateIds(): Promise<string[]> {
    const keys = await this.#db.keys({ gte: 'sv!', lt: 'sv"' }).all();
    return keys.map((k) => k.slice(3));
  }

  async deleteStateVersion(id: string): Promise<void> {
    await this.deleteStateVersions([id]);
  }

  async deleteStateVersions(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.#serial(() =>
      this.#db.batch(
        ids.map((id) => ({ type: 'del' as const, key: `sv!${id}` })),
        SYNC,
      ),
    );
  }

  async rotate(): Promise<number> {
    const ring = await appendMasterKey(this.#ring);
    const kid = ring.currentKeyId;
    await this.#serial(() => this.#db.put(`kcv!${kid}`, kcvValue(ring.keys.get(kid) as Buffer, kid), SYNC));
    this.#ring = ring;
    return kid;
  }

  /**
   * Keys derived from the lowest key id (1 unless provisioned otherwise) so they survive
   * rotation: the index's blind index must stay searchable across key changes.
   */
  indexKeys(): IndexKeys {
    const base = this.#ring.keys.get(Math.min(...this.#ring.keys.keys())) as Buffer;
    const derive = (info: string): Buffer => Buffer.from(hkdfSync('sha256', base, Buffer.alloc(0), info, 32));
    return {
      blindIndexKey: derive('callvault blind-index v1'),
      fieldKey: derive('callvault index-fields v1'),
    };
  }

  /** Seals the state sidecars' contents (case ids are personal); survives rotation like indexKeys. */
  stateKey(): Buffer {
    const base = this.#ring.keys.get(Math.min(...this.#ring.keys.keys())) as Buffer;
    return Buffer.from(hkdfSync('sha256', base, Buffer.alloc(0), 'callvault state v1', 32));
  }

  sign(data: Buffer): Buffer {
    return sign(null, data, this.#signKey);
  }

  verifySignature(data: Buffer, sig: Buffer): boolean {
    try {
      return verify(null, data, this.#verifyKey, sig);
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.#committing;
    if (this.#db.status === 'open') await this.#db.close();
  }
}
