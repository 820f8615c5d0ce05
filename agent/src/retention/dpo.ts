/**
 * The DPO's decisions about single recordings and cases: legal hold, restriction (GDPR art.
 * 18), case link / close / reopen. Each is audited first, then written to the vault (the
 * recording's state sidecar, the source of truth a rebuild restores), then to the index.
 */
import { UserError } from '../common/index.js';
import { RetentionNotFoundError } from './errors.js';
import { refuse } from './erase.js';
import type { RecordingRecord } from '../index/index.js';
import { expiryWithCase, policyFor, updateWithState, type Actor, type Storage } from '../storage/index.js';

const PAGE = 1000;

type RefusedAction = 'hold_refused' | 'restrict_refused' | 'case_refused';

/** The recording, or a refusal on record (unknown id: 404) — nothing changed. */
async function mustGet(
  storage: Storage,
  actor: Actor,
  id: string,
  action: RefusedAction,
  reason: string | null,
): Promise<RecordingRecord> {
  const rec = await storage.index.getRecording(id);
  if (rec === null)
    return refuse(storage, actor, action, id, reason, new RetentionNotFoundError('recording', id));
  return rec;
}

/**
 * The two DPO flags on a recording: what a refusal is recorded as, the policy field that
 * allows setting it, the refusal's code and wording, the patch, and the audit actions.
 */
const FLAGS = {
  legalHold: {
    refused: 'hold_refused',
    allowedBy: 'legal_hold_allowed',
    code: 'CV_ERR_RETENTION_HOLD_NOT_ALLOWED',
    what: 'legal hold',
    actions: { on: 'hold', off: 'release' },
  },
  restricted: {
    refused: 'restrict_refused',
    allowedBy: 'restriction_allowed',
    code: 'CV_ERR_RETENTION_RESTRICTION_NOT_ALLOWED',
    what: 'restriction',
    actions: { on: 'restrict', off: 'unrestrict' },
  },
} as const;

/** Sets or clears one flag: refused on record when the recording's policy does not allow it. */
async function setFlag(
  storage: Storage,
  actor: Actor,
  id: string,
  flag: keyof typeof FLAGS,
  on: boolean,
  reason: string,
): Promise<RecordingRecord> {
  const spec = FLAGS[flag];
  const rec = await mustGet(storage, actor, id, spec.refused, reason);
  const policy = policyFor(storage.config, rec.policy);
  if (on && !policy[spec.allowedBy]) {
    const err = new UserError(spec.code, `policy ${policy.name} does not allow ${spec.what}`, {
      context: { recordingId: id },
    });
    return refuse(storage, actor, spec.refused, id, reason, err);
  }
  return updateWithState(storage, id, () => ({ [flag]: on }), {
    audit: {
      actor: actor.name,
      role: actor.role,
      action: on ? spec.actions.on : spec.actions.off,
      recordingId: id,
      reason,
      from: actor.from,
    },
  });
}

export function setLegalHold(
  storage: Storage,
  actor: Actor,
  id: string,
  hold: boolean,
  reason: string,
): Promise<RecordingRecord> {
  return setFlag(storage, actor, id, 'legalHold', hold, reason);
}

export function setRestriction(
  storage: Storage,
  actor: Actor,
  id: string,
  restricted: boolean,
  reason: string,
): Promise<RecordingRecord> {
  return setFlag(storage, actor, id, 'restricted', restricted, reason);
}

function caseOf(storage: Storage, rec: RecordingRecord, id: string | null, closedAt: string | null) {
  const policy = policyFor(storage.config, rec.policy);
  return {
    caseId: id,
    caseClosedAt: closedAt,
    expiresAt: rec.flags.includes('anonymised')
      ? rec.expiresAt
      : expiryWithCase(rec.startedAt, policy, { id, closedAt }),
  };
}

export async function linkCase(
  storage: Storage,
  actor: Actor,
  id: string,
  caseId: string,
): Promise<RecordingRecord> {
  if (caseId.length === 0 || caseId.length > 100)
    throw new UserError('CV_ERR_RETENTION_BAD_CASE', 'a case id is 1-100 characters');
  await mustGet(storage, actor, id, 'case_refused', null);
  await storage.index.appendAudit({
    actor: actor.name,
    role: actor.role,
    action: 'case_link',
    recordingId: id,
    from: actor.from,
  });
  return updateWithState(storage, id, (rec) => caseOf(storage, rec, caseId, null), { caseTouched: true });
}

async function caseRecordings(storage: Storage, caseId: string): Promise<RecordingRecord[]> {
  const out: RecordingRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await storage.index.search({ caseId, limit: PAGE, cursor, order: 'asc' });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return out;
}

/** Closes (closedAt = a time) or reopens (null) a case on every recording linked to it. */
export async function setCaseState(
  storage: Storage,
  actor: Actor,
  caseId: string,
  closedAt: Date | null,
): Promise<{ caseId: string; recordings: string[] }> {
  const recs = await caseRecordings(storage, caseId);
  // The case id is personal: the refusal is on record without it.
  if (recs.length === 0)
    return refuse(storage, actor, 'case_refused', null, null, new RetentionNotFoundError('case'), {
      op: closedAt === null ? 'reopen' : 'close',
    });
  const at = closedAt === null ? null : closedAt.toISOString();
  for (const r of recs) {
    await storage.index.appendAudit({
      actor: actor.name,
      role: actor.role,
      action: at === null ? 'case_reopen' : 'case_close',
      recordingId: r.id,
      from: actor.from,
      detail: at === null ? null : { closedAt: at },
    });
    await updateWithState(storage, r.id, (rec) => caseOf(storage, rec, rec.caseId, at), {
      caseTouched: true,
    });
  }
  return { caseId, recordings: recs.map((r) => r.id) };
}
