/**
 * Storage = the vault (encrypted containers + keystore) and the index (LevelDB), opened
 * together under one lock, made consistent with each other at open. Both the daemon and the
 * CLI (when no daemon runs) open storage through here, so start-up recovery runs whichever
 * process opens it first.
 *
 * Open order: lock → vault (master key, keystore) → index (keys from the vault) → recover
 * containers whose writer died → reconcile index with vault. Close order is the reverse, after
 * every writer still open has been finalised.
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/index.js';
import type { Logger } from '../common/index.js';
import { openVault, type Vault, type VaultWriter } from '../vault/index.js';
import {
  destroyIndex,
  repairIndex,
  openIndex,
  reconcile,
  type IndexOptions,
  type RecordingIndex,
} from '../index/index.js';
import { acquireLock, type StorageLock } from './lock.js';
import { StorageClosedError } from './errors.js';
import { RecordingCounts } from './recording-counts.js';
import { recordFromVault, vaultRecordIds } from './records.js';
import { INTEGRITY_CHECKS, reportIntegrityFailure, type IntegrityCheck } from './integrity.js';
import { applyDpoState, effectivePolicies, policyFor, type DpoState } from './dpo-state.js';
import { hasRectified, rectifiedPatch } from './rectify-fields.js';

export interface StartupReport {
  readonly masterKeyCreated: boolean;
  /** Containers whose writer died; now finalised and flagged `recovered`. */
  readonly recovered: readonly string[];
  /** Vault files that had no index entry; re-indexed from their encrypted metadata. */
  readonly reindexed: readonly string[];
  /** Index entries whose container is gone; removed from the index. */
  readonly orphansRemoved: readonly string[];
  /**
   * Finished recordings whose container no longer matches its seal, or is gone while its key is
   * not (removed by hand, not erased): flagged, left as they are.
   */
  readonly tampered: readonly string[];
}

export interface StorageOptions {
  readonly config: Config;
  readonly log: Logger;
  /** Skip the index (for `index rebuild`, which must work when the index is corrupt). */
  readonly withoutIndex?: boolean;
  /**
   * For `index rebuild`: when the index cannot be opened (corrupt), recreate it empty; the
   * start-up reconcile then refills it from the vault. An index that opens is kept (its users
   * and audit chain survive) and rebuilt by the command itself.
   */
  readonly resetIndex?: boolean;
}

export class Storage {
  #config: Config;
  readonly vault: Vault;
  readonly #index: RecordingIndex | null;
  readonly #lock: StorageLock;
  readonly #log: Logger;
  readonly #writers = new Set<VaultWriter>();
  readonly #integrityFailures = new Map<IntegrityCheck, number>(INTEGRITY_CHECKS.map((c) => [c, 0]));
  /** Recordings written/failed/recovered since open (the metrics). */
  readonly counts = new RecordingCounts();
  #startup: StartupReport;
  #closed = false;

  /**
   * The running config. Read it where it is used, never keep a copy: SIGHUP may replace the
   * policies (adoptPolicies), and each new call, import and retention run applies the new ones.
   */
  get config(): Config {
    return this.#config;
  }

  /**
   * Takes `policy` (the selected one with its overrides) and `policies` from a re-read config;
   * every other key stays as started. Calls in progress keep the policy they started with (the
   * recorder got it at set-up); recordings keep the expiry they were given.
   */
  adoptPolicies(next: Pick<Config, 'policy' | 'policies'>): void {
    // Both parts come frozen from loadConfig; the new top level is frozen like the old one.
    this.#config = Object.freeze({ ...this.#config, policy: next.policy, policies: next.policies });
  }

  constructor(config: Config, vault: Vault, index: RecordingIndex | null, lock: StorageLock, log: Logger) {
    this.#config = config;
    this.vault = vault;
    this.#index = index;
    this.#lock = lock;
    this.#log = log;
    this.#startup = {
      masterKeyCreated: vault.masterKeyCreated,
      recovered: [],
      reindexed: [],
      orphansRemoved: [],
      tampered: [],
    };
  }

  get log(): Logger {
    return this.#log;
  }

  /** Integrity failures found since this process opened the storage, by where (the metric). */
  integrityFailures(): ReadonlyMap<IntegrityCheck, number> {
    return this.#integrityFailures;
  }

  noteIntegrityFailure(check: IntegrityCheck): void {
    this.#integrityFailures.set(check, (this.#integrityFailures.get(check) ?? 0) + 1);
  }

  get startup(): StartupReport {
    return this.#startup;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get index(): RecordingIndex {
    if (this.#closed) throw new StorageClosedError();
    if (this.#index === null) throw new StorageClosedError();
    return this.#index;
  }

  get activeWriters(): number {
    return this.#writers.size;
  }

  /** Writers registered here are finalised by close(): a SIGTERM never loses a call in progress. */
  track(writer: VaultWriter): void {
    this.#assertOpen();
    this.#writers.add(writer);
  }

  untrack(writer: VaultWriter): void {
    this.#writers.delete(writer);
  }

  /**
   * Finishes what the last process left behind. Called once by openStorage. Containers the
   * index knows as finished (it holds their digest) are checked, never recovered; recovery is
   * only for containers that were still being written.
   */
  async repair(): Promise<StartupReport> {
    const finished = new Map<string, string>();
    if (this.#index !== null) {
      for (const id of await this.vault.listIds()) {
        const digest = (await this.#index.getRecording(id))?.digest;
        if (typeof digest === 'string') finished.set(id, digest);
      }
    }
    const { recovered, unrecoverable, tampered } = await this.vault.recoverAll({ finished });
    for (const r of recovered) this.#log.warn({ recordingId: r.id }, 'recovered recording whose writer died');
    this.counts.recovered(recovered.length);
    const reindexed: string[] = [];
    const orphansRemoved: string[] = [];
    const missing: string[] = [];
    if (this.#index !== null) {
      for (const t of tampered) await reportIntegrityFailure(this, t.id, t.code, 'startup');
      // A container that cannot be read stays out of the index rather than stopping the start.
      const unreadable = new Set([...unrecoverable, ...tampered].map((u) => u.id));
      // Anonymised recordings have no container: their sidecar is what the vault holds of them.
      const index = this.#index;
      const vaultIds = await vaultRecordIds(this.vault, {
        onLeftover: async (id) => {
          this.#log.warn({ recordingId: id }, 'finishing an interrupted erasure');
          await this.vault.erase(id);
        },
        onContainerState: (id, st) => this.#catchUp(index, id, st),
        onTampered: (id, err) =>
          this.#log.error({ err, recordingId: id }, 'state sidecar fails its checks; not used'),
      });
      const indexIds = await this.#index.listIds();
      const recoveredIds = new Set(recovered.map((r) => r.id));
      const { missingInIndex, missingInVault } = reconcile(indexIds, vaultIds);
      for (const id of new Set([...missingInIndex, ...recoveredIds])) {
        if (unreadable.has(id)) continue;
        await this.#index.putRecording(
          await recordFromVault(this.vault, id, effectivePolicies(this.config), this.config.policy, {
            onTamperedState: (rid, err) =>
              this.#log.error(
                { err, recordingId: rid },
                'state sidecar tampered: recording held and restricted',
              ),
          }),
        );
        reindexed.push(id);
      }
      for (const id of missingInVault) {
        const record = await this.#index.getRecording(id);
        // Anonymised recordings keep their non-personal record without audio by design.
        if (record?.flags.includes('no_audio') === true) continue;
        // An erasure destroys the key first, so a finished recording whose container is gone
        // while its key is not was removed by hand: keep its record (hold, digest) and report it.
        if (typeof record?.digest === 'string' && (await this.vault.hasDataKey(id))) {
          await reportIntegrityFailure(this, id, 'CV_ERR_VAULT_CONTAINER_MISSING', 'startup');
          missing.push(id);
          continue;
        }
        await this.#index.deleteRecording(id);
        orphansRemoved.push(id);
      }
      if (reindexed.length > 0 || orphansRemoved.length > 0) {
        this.#log.warn(
          { reindexed: reindexed.length, orphansRemoved: orphansRemoved.length },
          'index repaired',
        );
      }
    }
    this.#startup = {
      masterKeyCreated: this.vault.masterKeyCreated,
      recovered: recovered.map((r) => r.id),
      reindexed,
      orphansRemoved,
      tampered: [...tampered.map((t) => t.id), ...missing],
    };
    return this.#startup;
  }

  /**
   * The vault's state is written before the index's: after a crash between the two the index
   * is behind. Anonymised in the sidecar with the audio still there: the anonymisation resumes.
   */
  async #catchUp(index: RecordingIndex, id: string, st: DpoState): Promise<void> {
    if (st.anonymised !== null) {
      this.#log.warn({ recordingId: id }, 'finishing an interrupted anonymisation');
      await this.vault.erase(id, { keepState: true });
      await index.putRecording(st.anonymised);
      return;
    }
    const rec = await index.getRecording(id);
    if (rec === null) return;
    const want = applyDpoState(rec, st, policyFor(this.config, rec.policy));
    const same =
      want.legalHold === rec.legalHold &&
      want.restricted === rec.restricted &&
      want.caseId === rec.caseId &&
      (want.caseClosedAt ?? null) === (rec.caseClosedAt ?? null) &&
      (st.rectified === null || hasRectified(rec, st.rectified));
    if (same) return;
    this.#log.warn({ recordingId: id }, 'index behind the vault state: brought up to date');
    const { legalHold, restricted, caseId, caseClosedAt, expiresAt } = want;
    const fixed = st.rectified === null ? {} : rectifiedPatch(rec, st.rectified);
    await index.update(id, { ...fixed, legalHold, restricted, caseId, caseClosedAt, expiresAt });
  }

  /** Finalise open writers, then close index, vault and lock — in that order. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const writer of [...this.#writers]) {
      try {
        await writer.finalize();
      } catch (err) {
        this.#log.error({ err, recordingId: writer.id }, 'finalise at close failed; recovery will finish it');
      }
    }
    this.#writers.clear();
    try {
      await this.#index?.close();
    } finally {
      try {
        await this.vault.close();
      } finally {
        this.#lock.release();
      }
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new StorageClosedError();
  }
}

export async function openStorage(opts: StorageOptions): Promise<Storage> {
  const { config, log } = opts;
  const dir = config.storage.dir;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Recordings, keys and the index are nobody else's business, whoever created the directory.
  if ((statSync(dir).mode & 0o077) !== 0) {
    chmodSync(dir, 0o700);
    log.warn({ dir }, 'storage.dir was accessible to others: set to 0700');
  }
  const lock = acquireLock(dir);
  let vault: Vault | undefined;
  let index: RecordingIndex | null = null;
  try {
    vault = await openVault({
      dir,
      masterKeyFile: config.keys.master_key_file,
      credentialName: config.keys.credential,
      segmentMs: config.storage.segment_ms,
      fsync: config.storage.fsync,
      fsyncIntervalMs: config.storage.fsync_interval_ms,
      log: log.child({ component: 'vault' }),
    });
    if (vault.masterKeyCreated) {
      log.warn(
        { path: config.keys.master_key_file },
        'no master key found: created one (provision it in production)',
      );
    }
    if (opts.withoutIndex !== true) {
      const v = vault;
      const indexOptions: IndexOptions = {
        dir: join(dir, 'index'),
        ...v.indexKeys(),
        recordKeys: (ids) => v.indexRecordKeys(ids),
        sign: (data) => v.sign(data),
        verifySignature: (data, sig) => v.verifySignature(data, sig),
        log: log.child({ component: 'index' }),
        auditAnchor: { read: () => v.auditAnchor(), write: (head) => v.setAuditAnchor(head) },
        // `index rebuild` accepts (and audits) audit entries lost with a damaged index.
        acceptAuditLoss: opts.resetIndex === true,
        defaultCountry: config.sip.default_country,
        statsAgentGroups: config.api.stats_agent_groups,
      };
      try {
        index = await openIndex(indexOptions);
      } catch (err) {
        if (opts.resetIndex !== true || (err as { code?: string }).code !== 'CV_ERR_INDEX_CORRUPT') throw err;
        index = await reopenDamagedIndex(indexOptions, log, err);
      }
    }
    const storage = new Storage(config, vault, index, lock, log);
    await storage.repair();
    return storage;
  } catch (err) {
    await index?.close().catch(() => undefined);
    await vault?.close().catch(() => undefined);
    lock.release();
    throw err;
  }
}

/**
 * For `index rebuild` on an index that does not open: LevelDB's repair first (it keeps whatever
 * survives, users and the audit chain included); only if that fails, start empty. Recordings
 * are refilled from the vault either way.
 */
async function reopenDamagedIndex(
  options: IndexOptions,
  log: Logger,
  cause: unknown,
): Promise<RecordingIndex> {
  log.error({ err: cause }, 'index unreadable: repairing it');
  try {
    await repairIndex(options.dir);
    return await openIndex(options);
  } catch (err) {
    log.error({ err }, 'index repair failed: recreating it empty; users and audit entries in it are lost');
    await destroyIndex(options.dir);
    return openIndex(options);
  }
}
