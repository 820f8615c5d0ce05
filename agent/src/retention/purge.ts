/**
 * Retention's deletions in batches: for each batch of due recordings, their audit entries in
 * one synced write, then their keys destroyed in one keystore batch (and their files removed),
 * then their index entries in one batch. The order per recording is the one `destroyRecording`
 * keeps (audited first, the vault before the index), so a crash anywhere leaves what a crash in
 * the one-by-one path left: an audit entry saying the deletion started, and at start-up an index
 * entry without a key is dropped. It is only the fsyncs that are shared.
 */
import type { Actor, Storage } from '../storage/index.js';
import type { RetentionDecision } from './plan.js';

/**
 * Recordings per batch: large enough to share the fsyncs and the keystore's compactions (each
 * spans nearly all keys, ids being random), small enough to bound memory.
 */
export const PURGE_BATCH = 4096;

async function inVault(storage: Storage, id: string): Promise<boolean> {
  return (
    (await storage.vault.has(id)) || (await storage.vault.readState(id).catch(() => 'tampered')) !== null
  );
}

/** Erasure of one recording: key, container and state sidecar in the vault first, then the index entry. */
export async function destroyRecording(storage: Storage, id: string): Promise<void> {
  if (await inVault(storage, id)) await storage.vault.erase(id);
  await storage.index.deleteRecording(id);
}

export async function purgeDue(
  storage: Storage,
  actor: Actor,
  due: readonly RetentionDecision[],
  batchSize = PURGE_BATCH,
): Promise<{ deleted: string[]; failed: { id: string; code: string }[] }> {
  const deleted: string[] = [];
  const failed: { id: string; code: string }[] = [];
  const codeOf = (err: unknown): string => (err as { code?: string }).code ?? 'CV_ERR_INTERNAL';
  for (let i = 0; i < due.length; i += batchSize) {
    const batch = due.slice(i, i + batchSize);
    try {
      await storage.index.appendAudits(
        batch.map((d) => ({
          actor: actor.name,
          role: actor.role,
          action: 'retention_delete',
          recordingId: d.id,
          from: actor.from,
          detail: { policy: d.policy, expiresAt: d.expiresAt },
        })),
      );
    } catch (err) {
      // Nothing deleted unaudited: the whole batch waits for the next run.
      for (const d of batch) failed.push({ id: d.id, code: codeOf(err) });
      continue;
    }
    const ids = batch.map((d) => d.id);
    try {
      // eraseMany looks all of them up in one keystore read; ids with nothing left in the
      // vault come back as missing and only their index entries go.
      const vault = await storage.vault.eraseMany(ids);
      // One whose file could not be removed keeps its index entry: the next run retries it.
      const stuck = new Set(vault.failed.map((f) => f.id));
      for (const f of vault.failed) failed.push({ id: f.id, code: codeOf(f.error) });
      const gone = ids.filter((id) => !stuck.has(id));
      // Compacted once at the end of the run: the records' personal fields are sealed under the
      // keys just destroyed, so what the tombstones leave in the files until then is unreadable.
      await storage.index.deleteRecordings(gone, { compact: false });
      deleted.push(...gone);
    } catch {
      // A keystore or index write failed the batch: one by one (each idempotent), to name which.
      for (const id of ids) {
        if (failed.some((f) => f.id === id)) continue;
        try {
          await destroyRecording(storage, id);
          deleted.push(id);
        } catch (err) {
          failed.push({ id, code: codeOf(err) });
        }
      }
    }
  }
  // The deleted values (and blind tokens in their keys) leave the LevelDB files now.
  if (deleted.length > 0) await storage.index.compactRecordings();
  return { deleted, failed };
}
