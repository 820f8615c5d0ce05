/**
 * Erasure of one recording by the DPO (GDPR art. 17): crypto-shred as the vault contract says —
 * the data key destroyed (with it the per-recording key of the index's personal fields), the
 * container, its seal and state sidecar unlinked — then the index entry removed in the same
 * batch as its audit entry. Refused (423, nothing changed, audited as refused) while the
 * recording is on legal hold or restricted.
 */
import type { AuditInput, RecordingRecord } from '../index/index.js';
import type { Actor, Storage } from '../storage/index.js';
import { LegalHoldError, RestrictedError, RetentionNotFoundError } from './errors.js';

const ID_RE = /^[0-9A-Za-z-]{1,64}$/;

/** A refusal on record: what was asked, by whom, and the code it got; then the error. */
export async function refuse(
  storage: Storage,
  actor: Actor,
  action: AuditInput['action'],
  id: string | null,
  reason: string | null,
  err: Error & { code: string },
  detail: Record<string, unknown> = {},
): Promise<never> {
  await storage.index.appendAudit({
    actor: actor.name,
    role: actor.role,
    action,
    // A path parameter is whatever the client sent: only an id-shaped one goes in the log.
    recordingId: id !== null && ID_RE.test(id) ? id : null,
    reason,
    from: actor.from,
    detail: { code: err.code, ...detail },
  });
  throw err;
}

/** Why deleting this recording is refused now, or null. Hold first: it is the stronger reason. */
export function deletionBlocker(rec: RecordingRecord, action: string): (Error & { code: string }) | null {
  if (rec.legalHold) return new LegalHoldError(rec.id, action);
  if (rec.restricted) return new RestrictedError(rec.id, action);
  return null;
}

export async function eraseRecording(
  storage: Storage,
  actor: Actor,
  id: string,
  reason: string,
): Promise<{ id: string }> {
  const rec = await storage.index.getRecording(id);
  if (rec === null)
    return refuse(storage, actor, 'erase_refused', id, reason, new RetentionNotFoundError('recording', id));
  const blocked = deletionBlocker(rec, 'erasure');
  if (blocked !== null) return refuse(storage, actor, 'erase_refused', id, reason, blocked);
  const vault = storage.vault;
  // Anonymised recordings have no container but a sidecar; both go with the key.
  if ((await vault.has(id)) || (await vault.readState(id).catch(() => 'tampered')) !== null)
    await vault.erase(id);
  await storage.index.deleteRecording(id, {
    audit: {
      actor: actor.name,
      role: actor.role,
      action: 'erase',
      recordingId: id,
      reason,
      from: actor.from,
    },
  });
  return { id };
}
