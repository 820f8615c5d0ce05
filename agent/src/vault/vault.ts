/**
 * The vault: encrypted recording containers under storage.dir plus the keystore that holds
 * their keys. openVault() resolves once the master key is checked against the keystore and
 * the signing key is loaded. close() detaches writers still open (their files stay
 * recoverable, nothing is finalized), stops the fsync timer, then closes the keystore.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BatchSyncer } from './batch-sync.js';
import { loadNativeAddon, type Logger } from '../common/index.js';
import { isRecordingId } from './container.js';
import {
  createRecording,
  importWav,
  type CreateDeps,
  type CreateRecordingOptions,
} from './create-recording.js';
import { VaultClosedError, VaultKeyDestroyedError, VaultNotFoundError } from './errors.js';
import { KeyStore } from './keys.js';
import {
  KEYSTORE_DIR,
  RECORDINGS_DIR,
  containerPath,
  listContainers,
  prepareStorageDir,
  totalBytes,
} from './layout.js';
import { openContainerReader, readMetadataAt, verifyReader, type VaultReader } from './reader.js';
import { recoverAll, recoverOne } from './recovery-pass.js';
import { SEALS_DIR, Seals } from './seal.js';
import { RecordKeys } from './record-keys.js';
import { StateStore } from './state-store.js';
import { eraseMany, type EraseManyResult } from './erase-many.js';
import type { StateFile } from './state.js';
import type {
  FinishedRecording,
  FsyncPolicy,
  IndexKeys,
  RecordingMetadata,
  RecoveredRecording,
  RecoveryResult,
  VaultStats,
  VerifyResult,
} from './types.js';
import type { VaultWriter } from './writer.js';

export type { CreateRecordingOptions };

export interface VaultOptions {
  /** storage.dir; created 0700 if missing (its parent must exist). */
  readonly dir: string;
  /** keys.master_key_file; created 0600 with key id 1 when no key source exists. */
  readonly masterKeyFile: string;
  /** systemd credential name tried first. Default 'callvault-master-key'. */
  readonly credentialName?: string;
  /** Default process.env.CREDENTIALS_DIRECTORY. */
  readonly credentialsDirectory?: string | undefined;
  /** Audio per record and longest time audio waits in memory (ms). Default 2000. */
  readonly segmentMs?: number;
  /** Default 'batch'. */
  readonly fsync?: FsyncPolicy;
  /** Period of the 'batch' fsync timer (ms). Default 1000. */
  readonly fsyncIntervalMs?: number;
  readonly log: Logger;
}

export class Vault {
  readonly dir: string;
  readonly #keys: KeyStore;
  readonly #states: StateStore;
  readonly #recordKeys: RecordKeys;
  readonly #syncer: BatchSyncer;
  readonly #segmentMs: number;
  readonly #fsync: FsyncPolicy;
  readonly #log: Logger;
  readonly #active = new Map<string, VaultWriter>();
  readonly #seals: Seals;
  /** Date directories already created by this process (one mkdir per day, not per call). */
  readonly #madeDirs = new Set<string>();
  /** What creating (create-recording.ts) and recovering (recovery-pass.ts) need of the vault. */
  readonly #parts: CreateDeps;
  #closed = false;

  private constructor(dir: string, keys: KeyStore, opts: VaultOptions) {
    this.dir = dir;
    this.#keys = keys;
    this.#states = new StateStore(dir, keys);
    this.#recordKeys = new RecordKeys(keys);
    this.#segmentMs = opts.segmentMs ?? 2000;
    this.#fsync = opts.fsync ?? 'batch';
    const fsSync = loadNativeAddon<{ syncfs(dir: string): Promise<void> }>('fs-sync').addon;
    this.#syncer = new BatchSyncer(
      opts.fsyncIntervalMs ?? 1000,
      (d, err) =>
        this.#log.error(
          { err, path: d },
          'directory fsync failed; new recordings there may not survive power loss',
        ),
      fsSync === null ? undefined : { dir, syncfs: (d) => fsSync.syncfs(d) },
    );
    this.#log = opts.log;
    this.#seals = new Seals({
      dir,
      sign: (d) => keys.sign(d),
      verify: (d, sig) => keys.verifySignature(d, sig),
      durable: this.#fsync === 'segment',
      onWritten: (d) => {
        if (this.#fsync === 'batch') this.#syncer.markDirDirty(d);
      },
      log: opts.log,
    });
    this.#parts = {
      dir,
      keys,
      recordKeys: this.#recordKeys,
      seals: this.#seals,
      syncer: this.#syncer,
      segmentMs: this.#segmentMs,
      fsync: this.#fsync,
      log: this.#log,
      active: this.#active,
      madeDirs: this.#madeDirs,
    };
  }

  static async open(opts: VaultOptions): Promise<Vault> {
    const dir = opts.dir;
    await prepareStorageDir(dir, [RECORDINGS_DIR, SEALS_DIR]);
    // With recordings on disk, a new keystore would hide lost keys: KeyStore.open refuses it.
    const containersPresent = (await listContainers(dir)).size > 0;
    const keys = await KeyStore.open(
      join(dir, KEYSTORE_DIR),
      {
        masterKeyFile: opts.masterKeyFile,
        credentialName: opts.credentialName ?? 'callvault-master-key',
        credentialsDirectory:
          'credentialsDirectory' in opts ? opts.credentialsDirectory : process.env.CREDENTIALS_DIRECTORY,
      },
      { containersPresent },
    );
    return new Vault(dir, keys, opts);
  }

  get masterKeyCreated(): boolean {
    return this.#keys.masterKeyCreated;
  }

  get publicKeyPem(): string {
    return this.#keys.publicKeyPem;
  }

  async createRecording(opts: CreateRecordingOptions): Promise<VaultWriter> {
    this.#assertOpen();
    return createRecording(this.#parts, opts);
  }

  /** Imports a WAV, keeping its own header bytes: the export is byte-identical to the input. */
  async importWav(
    input: Buffer | string,
    metadata: RecordingMetadata,
    startedAt?: Date,
  ): Promise<FinishedRecording> {
    this.#assertOpen();
    return importWav(this.#parts, (id) => this.erase(id), input, metadata, startedAt);
  }

  async openReader(id: string): Promise<VaultReader> {
    const { key, path } = await this.#locate(id);
    return openContainerReader(id, path, key);
  }

  async verify(id: string): Promise<VerifyResult> {
    const reader = await this.openReader(id);
    return verifyReader(reader, (d, s) => this.#keys.verifySignature(d, s));
  }

  /** Metadata of any container, also one still being written or not yet recovered. */
  async readMetadata(id: string): Promise<RecordingMetadata> {
    const { key, path } = await this.#locate(id);
    return readMetadataAt(id, path, key);
  }

  /**
   * Crypto-shred: the wrapped key is deleted and compacted away, then the file is unlinked, then
   * the state sidecar — unless `keepState` (anonymisation keeps the case record it describes).
   */
  async erase(id: string, opts: { keepState?: boolean } = {}): Promise<void> {
    const { missing, failed } = await this.eraseMany([id], opts);
    if (failed.length > 0) throw failed[0]!.error;
    if (missing.length > 0)
      throw new VaultNotFoundError('no such recording', { context: { recordingId: id } });
  }

  /**
   * Erases many recordings as `erase` does one, in the same order (keys destroyed, then seals,
   * containers and state files removed) but with one keystore batch for all their keys: what
   * lets a retention run purge thousands a minute. Ids with nothing left come back in `missing`;
   * one whose file could not be removed in `failed` (its key is gone: what is left is unreadable,
   * and the next erase removes it), without stopping the others.
   */
  async eraseMany(ids: readonly string[], opts: { keepState?: boolean } = {}): Promise<EraseManyResult> {
    this.#assertOpen();
    return eraseMany(
      {
        dir: this.dir,
        keys: this.#keys,
        states: this.#states,
        log: this.#log,
        abortWriter: async (id) => {
          const active = this.#active.get(id);
          if (active === undefined) return false;
          await active.abort();
          return true;
        },
        forgetKey: (id) => this.#recordKeys.forget(id),
      },
      ids,
      opts,
    );
  }

  async has(id: string): Promise<boolean> {
    this.#assertOpen();
    if (!isRecordingId(id)) return false;
    const dk = await this.#keys.dataKey(id).catch(() => undefined);
    if (dk !== undefined && (await exists(containerPath(this.dir, id, dk.createdMs)))) return true;
    return (await this.#findFile(id)) !== undefined;
  }

  async listIds(): Promise<string[]> {
    this.#assertOpen();
    return [...(await listContainers(this.dir)).keys()].sort();
  }

  async recover(): Promise<RecoveredRecording[]> {
    return (await this.recoverAll()).recovered;
  }

  /**
   * Whether the keystore still holds the data key of `id`. Erasure destroys the key before it
   * unlinks the file, so a finished recording whose file is gone but whose key is not was
   * removed behind the vault's back.
   */
  async hasDataKey(id: string): Promise<boolean> {
    this.#assertOpen();
    return isRecordingId(id) && this.#keys.hasDataKey(id);
  }

  /** Recordings being written by this process now. */
  isActive(id: string): boolean {
    return this.#active.has(id);
  }

  /**
   * Start-up pass over every container not being written by this process. Crash recovery runs
   * only for containers that were in progress: one that `finished` (id → digest, from the
   * index) names or that has a valid seal was finalised once, so it gets the cheap integrity
   * check instead (checkSealed) and, if that fails, is reported in `tampered` and left exactly
   * as it is: a truncated finished recording is never "recovered" under a new digest.
   */
  async recoverAll(opts: { finished?: ReadonlyMap<string, string> } = {}): Promise<RecoveryResult> {
    this.#assertOpen();
    return recoverAll(this.#parts, opts.finished);
  }

  /** Finalises one container whose writer failed (disk full) in this process, at once. */
  async recoverOne(id: string): Promise<RecoveredRecording | undefined> {
    this.#assertOpen();
    if (this.#active.has(id)) return undefined;
    return recoverOne(this.#parts, id, await this.#locate(id));
  }

  /** The DPO's state of a recording (state.ts); null when none was ever written. */
  async readState(id: string): Promise<StateFile | null> {
    this.#assertOpen();
    if (!isRecordingId(id)) return null;
    return this.#states.read(id);
  }

  /** Writes the next version of a recording's state; `startedMs` places it when no key says. */
  async writeState(id: string, body: Record<string, unknown>, startedMs?: number): Promise<number> {
    this.#assertOpen();
    if (!isRecordingId(id))
      throw new VaultNotFoundError('no such recording', { context: { recordingId: id } });
    return this.#states.write(id, body, startedMs);
  }

  /** Recordings with a state sidecar, also those whose audio is gone (anonymised). */
  async listStateIds(): Promise<string[]> {
    this.#assertOpen();
    return (await this.#states.ids()).sort();
  }

  /** Keys the index seals personal fields with (record-keys.ts); undefined once erased. */
  async indexRecordKeys(ids: readonly string[]): Promise<(Buffer | undefined)[]> {
    this.#assertOpen();
    return this.#recordKeys.get(ids);
  }

  async rotateMasterKey(): Promise<{ keyId: number }> {
    this.#assertOpen();
    const keyId = await this.#keys.rotate();
    this.#log.info({ keyId }, 'master key rotated');
    return { keyId };
  }

  blindIndexKey(): Buffer {
    return this.indexKeys().blindIndexKey;
  }

  indexKeys(): IndexKeys {
    this.#assertOpen();
    return this.#keys.indexKeys();
  }

  sign(data: Buffer): Buffer {
    this.#assertOpen();
    return this.#keys.sign(data);
  }

  /** The index's audit chain head as last anchored in the keystore (index/audit.ts). */
  auditAnchor(): Promise<{ seq: number; hash: string } | undefined> {
    this.#assertOpen();
    return this.#keys.auditAnchor();
  }

  setAuditAnchor(head: { seq: number; hash: string }): Promise<void> {
    this.#assertOpen();
    return this.#keys.setAuditAnchor(head);
  }

  verifySignature(data: Buffer, sig: Buffer): boolean {
    this.#assertOpen();
    return this.#keys.verifySignature(data, sig);
  }

  async stats(): Promise<VaultStats> {
    this.#assertOpen();
    const rec = await totalBytes(join(this.dir, RECORDINGS_DIR));
    const ks = await totalBytes(join(this.dir, KEYSTORE_DIR));
    return { recordings: rec.files, bytesOnDisk: rec.bytes, keystoreBytes: ks.bytes };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#active.size > 0)
      this.#log.warn(
        { writers: this.#active.size },
        'vault closed with open writers; they will be recovered',
      );
    for (const w of [...this.#active.values()]) await w.detach();
    await this.#syncer.close();
    await this.#keys.close();
  }

  async #locate(id: string): Promise<{ key: Buffer; path: string }> {
    this.#assertOpen();
    if (!isRecordingId(id))
      throw new VaultNotFoundError('no such recording', { context: { recordingId: id } });
    const dk = await this.#keys.dataKey(id);
    if (dk !== undefined) return { key: dk.key, path: containerPath(this.dir, id, dk.createdMs) };
    if ((await this.#findFile(id)) !== undefined) {
      throw new VaultKeyDestroyedError('the data key of this recording is destroyed', {
        context: { recordingId: id },
      });
    }
    throw new VaultNotFoundError('no such recording', { context: { recordingId: id } });
  }

  async #findFile(id: string): Promise<string | undefined> {
    return (await listContainers(this.dir)).get(id);
  }

  #assertOpen(): void {
    if (this.#closed) throw new VaultClosedError('vault is closed');
  }
}

export async function openVault(opts: VaultOptions): Promise<Vault> {
  return Vault.open(opts);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
