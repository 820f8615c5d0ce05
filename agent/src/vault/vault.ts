/**
 * The vault: encrypted recording containers under storage.dir plus the keystore that holds
 * their keys. openVault() resolves once the master key is checked against the keystore and
 * the signing key is loaded. close() detaches writers still open (their files stay
 * recoverable, nothing is finalized), stops the fsync timer, then closes the keystore.
 */
import { createHash, randomUUID } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { access, mkdir, open, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BatchSyncer, syncDir } from './batch-sync.js';
import { loadNativeAddon, type Logger } from '../common/index.js';
import { RecordType, encodeHeader, hashHeader, isRecordingId, sealRecord } from './container.js';
import {
  VaultClosedError,
  VaultDigestMismatchError,
  VaultExistsError,
  VaultKeyDestroyedError,
  VaultNotFoundError,
  VaultStorageError,
  VaultBadFormatError,
  VaultWriteFailedError,
  writeFailure,
} from './errors.js';
import { KeyStore } from './keys.js';
import { KEYSTORE_DIR, RECORDINGS_DIR, containerPath, listContainers, totalBytes } from './layout.js';
import {
  openContainerReader,
  readLatestMeta,
  scanContainer,
  verifyReader,
  type VaultReader,
} from './reader.js';
import { recoverContainer } from './recovery.js';
import { SEALS_DIR, Seals, checkSealed } from './seal.js';
import { RecordKeys } from './record-keys.js';
import { StateStore } from './state-store.js';
import { eraseMany, type EraseManyResult } from './erase-many.js';
import type { StateFile } from './state.js';
import type {
  AudioFormat,
  FinishedRecording,
  FsyncPolicy,
  IndexKeys,
  RecordingMetadata,
  RecoveredRecording,
  RecoveryResult,
  VaultStats,
  VerifyResult,
} from './types.js';
import { parseWav, readWavInput, wavFieldsOf } from './wav.js';
import { VaultWriter, writeFully } from './writer.js';

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

export interface CreateRecordingOptions {
  readonly id?: string;
  readonly format: AudioFormat;
  readonly metadata: RecordingMetadata;
  /** Default now; decides the date directory and the container's created time. */
  readonly startedAt?: Date;
}

interface CreateInternal extends CreateRecordingOptions {
  readonly envelope?: { prefix: Buffer; suffix: Buffer };
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
  }

  static async open(opts: VaultOptions): Promise<Vault> {
    const dir = opts.dir;
    try {
      await mkdir(dir, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
      if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
      await access(dir, fsc.R_OK | fsc.W_OK | fsc.X_OK);
      await mkdir(join(dir, RECORDINGS_DIR), { recursive: true, mode: 0o700 });
      await mkdir(join(dir, SEALS_DIR), { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new VaultStorageError('storage directory is missing or not usable', {
        cause: err,
        context: { path: dir },
      });
    }
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
    return this.#create(opts);
  }

  async #create(opts: CreateInternal): Promise<VaultWriter> {
    this.#assertOpen();
    const given = opts.id !== undefined;
    const id = opts.id ?? randomUUID();
    if (!isRecordingId(id))
      throw new VaultBadFormatError('recording id must be a lower-case UUID', {
        context: { recordingId: id },
      });
    const fields = wavFieldsOf(opts.format);
    const startedAt = opts.startedAt ?? new Date();
    const path = containerPath(this.dir, id, startedAt.getTime());
    // A fresh random UUID cannot collide; an id given by the caller (import) is checked.
    if (
      this.#active.has(id) ||
      (given && ((await this.#keys.dataKey(id)) !== undefined || (await exists(path))))
    ) {
      throw new VaultExistsError('a recording with this id exists', { context: { recordingId: id } });
    }
    const dir = dirname(path);
    if (!this.#madeDirs.has(dir)) {
      await mkdir(dir, { recursive: true, mode: 0o700 }).catch((err: unknown) => {
        throw writeFailure(err, { recordingId: id, path });
      });
      this.#madeDirs.add(dir);
    }
    const key = await this.#keys.createDataKey(id, startedAt.getTime());
    this.#recordKeys.learn(id, key);
    const headerBytes = encodeHeader({
      id,
      createdMs: startedAt.getTime(),
      ...fields,
      segmentMs: this.#segmentMs,
    });
    const headerHash = hashHeader(headerBytes);
    const first = Buffer.concat([
      headerBytes,
      sealRecord(key, headerHash, RecordType.meta, 0, Buffer.from(JSON.stringify(opts.metadata))),
    ]);
    let fh;
    try {
      const flags = fsc.O_RDWR | fsc.O_CREAT | fsc.O_EXCL;
      fh = await open(path, flags, 0o600).catch(async (err: NodeJS.ErrnoException) => {
        // The remembered date directory was removed behind our back: make it again, once.
        if (err.code !== 'ENOENT') throw err;
        await mkdir(dir, { recursive: true, mode: 0o700 });
        return open(path, flags, 0o600);
      });
      await writeFully(fh, first, 0);
      if (this.#fsync === 'segment') {
        await fh.datasync();
        await syncDir(dir);
      }
    } catch (err) {
      await fh?.close().catch(() => undefined);
      await unlink(path).catch(() => undefined);
      this.#recordKeys.forget(id);
      await this.#keys.destroyDataKey(id);
      throw writeFailure(err, { recordingId: id, path });
    }
    const writer = new VaultWriter({
      id,
      path,
      fh,
      key,
      headerHash,
      format: opts.format,
      startedAt,
      segmentMs: this.#segmentMs,
      fsync: this.#fsync,
      syncer: this.#syncer,
      offset: first.length,
      nextSeq: 1,
      sign: (d) => this.#keys.sign(d),
      onSealed: (facts) => this.#seals.write(id, facts),
      ...(opts.envelope ? { envelope: opts.envelope } : {}),
      destroy: async () => {
        this.#recordKeys.forget(id);
        await this.#keys.destroyDataKey(id);
        await unlink(path).catch(() => undefined);
      },
      onClosed: () => this.#active.delete(id),
      log: this.#log,
    });
    this.#active.set(id, writer);
    if (this.#fsync === 'batch') {
      // The header and metadata reach the disk with the next batch, like the first segment.
      this.#syncer.markDirty(writer);
      this.#syncer.markDirDirty(dir);
    }
    return writer;
  }

  /** Imports a WAV, keeping its own header bytes: the export is byte-identical to the input. */
  async importWav(
    input: Buffer | string,
    metadata: RecordingMetadata,
    startedAt?: Date,
  ): Promise<FinishedRecording> {
    this.#assertOpen();
    const bytes = typeof input === 'string' ? await readWavInput(input) : input;
    const wav = parseWav(bytes);
    const metaStart = typeof metadata.startedAt === 'string' ? new Date(metadata.startedAt) : undefined;
    const start = startedAt ?? (metaStart && !Number.isNaN(metaStart.getTime()) ? metaStart : new Date());
    const writer = await this.#create({
      format: wav.format,
      metadata,
      startedAt: start,
      envelope: { prefix: Buffer.from(wav.prefix), suffix: Buffer.from(wav.suffix) },
    });
    writer.append(wav.audio);
    const finished = await writer.finalize();
    if (finished.digest !== createHash('sha256').update(bytes).digest('hex')) {
      await this.erase(finished.id);
      throw new VaultWriteFailedError('imported recording does not read back identically', {
        context: { recordingId: finished.id },
      });
    }
    return finished;
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
    const fh = await open(path, 'r').catch((err: unknown) => {
      throw new VaultNotFoundError('recording file not found', { cause: err, context: { recordingId: id } });
    });
    try {
      return await readLatestMeta(fh, key, await scanContainer(fh, id));
    } finally {
      await fh.close();
    }
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
    const result: RecoveryResult = { recovered: [], unrecoverable: [], tampered: [] };
    for (const [id, path] of await listContainers(this.dir)) {
      if (this.#active.has(id)) continue;
      let sealed = false;
      try {
        const dk = await this.#keys.dataKey(id);
        if (dk === undefined)
          throw new VaultKeyDestroyedError('data key not in the keystore', { context: { recordingId: id } });
        const seal = await this.#seals.read(id);
        const digest = opts.finished?.get(id) ?? seal?.digest;
        if (digest !== undefined) {
          sealed = true;
          if (seal !== undefined && seal.digest !== digest)
            throw new VaultDigestMismatchError('the seal and the index disagree on the digest', {
              context: { recordingId: id },
            });
          await checkSealed({ id, path, key: dk.key, digest, ...(seal ? { seal } : {}) });
          continue;
        }
        const r = await recoverContainer({ id, path, key: dk.key, sign: (d) => this.#keys.sign(d) });
        if (r === undefined) continue;
        await this.#seals.write(id, { digest: r.digest, fileBytes: r.fileBytes, dataBytes: r.dataBytes });
        result.recovered.push(r);
        this.#log.warn({ recordingId: id, durationMs: r.durationMs }, 'recovered an unfinished recording');
      } catch (err) {
        const code = (err as { code?: string }).code ?? 'CV_ERR_VAULT_WRITE_FAILED';
        // Storage logs, counts, flags and audits it (storage/integrity.ts).
        if (sealed) {
          result.tampered.push({ id, path, code });
          continue;
        }
        result.unrecoverable.push({ id, path, code });
        this.#log.error({ err, recordingId: id, path }, 'container cannot be recovered; left as is');
      }
    }
    return result;
  }

  /** Finalises one container whose writer failed (disk full) in this process, at once. */
  async recoverOne(id: string): Promise<RecoveredRecording | undefined> {
    this.#assertOpen();
    if (this.#active.has(id)) return undefined;
    const { key, path } = await this.#locate(id);
    if ((await this.#seals.read(id)) !== undefined) return undefined;
    const r = await recoverContainer({ id, path, key, sign: (d) => this.#keys.sign(d) });
    if (r !== undefined)
      await this.#seals.write(id, { digest: r.digest, fileBytes: r.fileBytes, dataBytes: r.dataBytes });
    return r;
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
