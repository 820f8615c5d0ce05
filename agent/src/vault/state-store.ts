/**
 * Reads and writes the state sidecars (state.ts) beside the containers. A write is: sidecar to
 * a temporary name, fsync, rename over the old one, fsync the directory, then the keystore's
 * version entry (synced). A crash in between leaves a sidecar newer than the keystore entry,
 * which reads fine; nothing leaves a keystore version without its file.
 */
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { syncDir } from './batch-sync.js';
import { VaultNotFoundError, VaultStateTamperedError, writeFailure } from './errors.js';
import { removeFileGroups } from './file-remover.js';
import type { KeyStore } from './keys.js';
import { CONTAINER_SUFFIX, containerPath } from './layout.js';
import {
  STATE_SUFFIX,
  checkVersion,
  decodeState,
  encodeState,
  stateDigest,
  type StateFile,
} from './state.js';

export function statePath(dir: string, id: string, createdMs: number): string {
  const c = containerPath(dir, id, createdMs);
  return c.slice(0, -CONTAINER_SUFFIX.length) + STATE_SUFFIX;
}

export class StateStore {
  readonly #dir: string;
  readonly #keys: KeyStore;

  constructor(dir: string, keys: KeyStore) {
    this.#dir = dir;
    this.#keys = keys;
  }

  /** Where the recording's sidecar lives: from the keystore entries (data key or state version). */
  async #createdMs(id: string): Promise<number | undefined> {
    const sv = await this.#keys.stateVersion(id);
    if (sv !== undefined) return sv.createdAt;
    const dk = await this.#keys.dataKey(id).catch(() => undefined);
    return dk?.createdMs;
  }

  /** null: the DPO never set anything on this recording. */
  async read(id: string): Promise<StateFile | null> {
    const onRecord = await this.#keys.stateVersion(id);
    const createdMs = onRecord?.createdAt ?? (await this.#createdMs(id));
    if (createdMs === undefined) return null;
    let bytes: Buffer;
    try {
      bytes = await readFile(statePath(this.#dir, id, createdMs));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      if (onRecord === undefined) return null;
      throw new VaultStateTamperedError(
        `state sidecar of ${id} is missing (version ${onRecord.version} on record)`,
        {
          context: { recordingId: id },
        },
      );
    }
    const file = decodeState(id, bytes, this.#keys.stateKey(), (d, s) => this.#keys.verifySignature(d, s));
    checkVersion(id, bytes, file, onRecord);
    return file;
  }

  /** Writes the next version; returns it. `createdMs` (the recording's start) when known. */
  async write(id: string, body: Record<string, unknown>, createdMsHint?: number): Promise<number> {
    const onRecord = await this.#keys.stateVersion(id);
    const createdMs = onRecord?.createdAt ?? createdMsHint ?? (await this.#createdMs(id));
    if (createdMs === undefined)
      throw new VaultNotFoundError('no such recording', { context: { recordingId: id } });
    const path = statePath(this.#dir, id, createdMs);
    // A file newer than the keystore entry (crash window) must not get its version reused.
    const current = await this.read(id).catch(() => null);
    const version = Math.max(onRecord?.version ?? 0, current?.version ?? 0) + 1;
    const bytes = encodeState(id, version, body, this.#keys.stateKey(), (d) => this.#keys.sign(d));
    const tmp = `${path}.tmp-${process.pid}`;
    try {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      const fh = await open(tmp, 'w', 0o600);
      try {
        await fh.writeFile(bytes);
        await fh.datasync();
      } finally {
        await fh.close();
      }
      await rename(tmp, path);
      await syncDir(dirname(path));
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw writeFailure(err, { recordingId: id, path });
    }
    await this.#keys.putStateVersion(id, { version, sha256: stateDigest(bytes), createdAt: createdMs });
    return version;
  }

  /** Erasure: the sidecar goes with the recording (file first, then the version on record). */
  async remove(id: string, createdMsHint?: number): Promise<void> {
    await this.removeMany([{ id, createdMsHint }]);
  }

  /**
   * Each sidecar file, then their replay counters in one keystore batch. `hasState: false` (the
   * caller read the keystore already) skips the read of a version that is not there; the file
   * is still removed at the hinted place, since a crash between writing a sidecar and its
   * version entry leaves the file alone.
   */
  async removeMany(
    items: readonly { id: string; createdMsHint?: number | undefined; hasState?: boolean }[],
  ): Promise<void> {
    const places = await Promise.all(
      items.map(async ({ id, createdMsHint, hasState }) =>
        hasState === false ? createdMsHint : ((await this.#keys.stateVersion(id))?.createdAt ?? createdMsHint),
      ),
    );
    const paths: string[] = [];
    items.forEach(({ id }, i) => {
      const createdMs = places[i];
      if (createdMs !== undefined) paths.push(statePath(this.#dir, id, createdMs));
    });
    const failed = await removeFileGroups(paths.map((p) => [p]));
    if (failed.length > 0) throw failed[0]!.error;
    await this.#keys.deleteStateVersions(items.filter((i) => i.hasState !== false).map((i) => i.id));
  }

  async ids(): Promise<string[]> {
    return this.#keys.stateIds();
  }
}
