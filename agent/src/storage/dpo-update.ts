/** The one write path of the DPO's state: vault (state sidecar) first, then the index. */
import type { RecordingPatch, RecordingRecord } from '../index/index.js';
import type { Storage } from './storage.js';
import { RecordingNotFoundError } from './errors.js';
import { dpoStateOf, readDpoState } from './dpo-state.js';

/**
 * Vault first, then index: writes the state the patched record will have into its sidecar,
 * then the patch into the index. `caseTouched`: the patch is a DPO case action, so the case
 * id in the sidecar overrides the container's metadata from now on.
 */
export async function updateWithState(
  storage: Storage,
  id: string,
  patch: (rec: RecordingRecord) => RecordingPatch,
  opts: { caseTouched?: boolean } = {},
): Promise<RecordingRecord> {
  const rec = await storage.index.getRecording(id);
  if (rec === null) throw new RecordingNotFoundError(id);
  const p = patch(rec);
  const next = { ...rec, ...p };
  const prior = await readDpoState(storage.vault, id);
  const caseTouched = opts.caseTouched === true || (prior?.case ?? null) !== null;
  await storage.vault.writeState(id, { ...dpoStateOf(next, caseTouched) }, Date.parse(rec.startedAt));
  return storage.index.update(id, p);
}
