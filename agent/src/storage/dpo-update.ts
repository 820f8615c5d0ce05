/**
 * Changes to what the DPO set (hold, restriction, case): the vault's signed state first, then
 * the index — so a rebuild from the vault restores what the index said.
 */
import type { AuditInput, RecordingPatch, RecordingRecord } from '../index/index.js';
import type { Storage } from './storage.js';
import { RecordingNotFoundError } from './errors.js';
import { dpoStateOf, readDpoState } from './dpo-state.js';
import type { Rectification } from './rectify-fields.js';

/**
 * Vault first, then index: writes the state the patched record will have into its sidecar,
 * then the patch into the index. `caseTouched`: the patch is a DPO case action, so the case
 * id in the sidecar overrides the container's metadata from now on.
 */
export async function updateWithState(
  storage: Storage,
  id: string,
  patch: (rec: RecordingRecord) => RecordingPatch,
  opts: { caseTouched?: boolean; audit?: AuditInput; rectify?: Rectification } = {},
): Promise<RecordingRecord> {
  const rec = await storage.index.getRecording(id);
  if (rec === null) throw new RecordingNotFoundError(id);
  const p = patch(rec);
  const next = { ...rec, ...p };
  const prior = await readDpoState(storage.vault, id);
  const caseTouched = opts.caseTouched === true || (prior?.case ?? null) !== null;
  // Every write carries the rectified values forward: a later hold must not undo a rectification.
  const rectified =
    opts.rectify === undefined
      ? (prior?.rectified ?? null)
      : { ...(prior?.rectified ?? {}), ...opts.rectify };
  await storage.vault.writeState(
    id,
    { ...dpoStateOf(next, caseTouched, rectified) },
    Date.parse(rec.startedAt),
  );
  // With an audit entry, the change and its entry land in one index batch, or neither does. A
  // rectification compacts the record's keys at once, so the old sealed value leaves the files.
  return storage.index.update(id, p, opts.audit, { compact: opts.rectify !== undefined });
}
