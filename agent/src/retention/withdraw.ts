/**
 * Consent withdrawal (`consent withdraw NUMBER`, POST /subjects/{number}/withdraw-consent).
 * What it does to each recording of that number is the policy's word, per recording (the
 * policy it was made under, with this config's overrides):
 * - withdraw_consent_erases true (seed 004: "consent can be withdrawn at any time → recording
 *   deleted"): erased, except on legal hold (a law needs it) or restricted (art. 18: deletion
 *   waits until the restriction is released) — both kept and reported;
 * - false (a notice whose basis is not consent, e.g. statutory duty or public interest): the
 *   withdrawal is an objection to further use, so processing is restricted (art. 18/21) until
 *   the DPO decides; erasure stays a separate, explicit `erase`;
 * - false and restriction not allowed by the policy: nothing changes, and the result says so
 *   (never a silent 0).
 */
import type { RecordingRecord } from '../index/index.js';
import { policyFor, type Actor, type Storage } from '../storage/index.js';
import { setRestriction } from './dpo.js';
import { destroyRecording } from './run.js';

const PAGE = 1000;

export interface WithdrawResult {
  readonly erased: string[];
  /** Restricted (now or already) because the policy does not erase on withdrawal. */
  readonly restricted: string[];
  readonly keptOnHold: string[];
  /** Restricted before the withdrawal under a policy that erases: erasure waits for release. */
  readonly keptRestricted: string[];
  /** The policy neither erases on withdrawal nor allows restriction: the DPO decides. */
  readonly unchanged: string[];
}

async function recordingsOf(storage: Storage, number: string): Promise<RecordingRecord[]> {
  const out: RecordingRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await storage.index.search({ number, limit: PAGE, cursor });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return out;
}

export async function withdrawConsent(
  storage: Storage,
  actor: Actor,
  number: string,
  reason: string,
): Promise<WithdrawResult> {
  const result: WithdrawResult = {
    erased: [],
    restricted: [],
    keptOnHold: [],
    keptRestricted: [],
    unchanged: [],
  };
  const matches = await recordingsOf(storage, number);
  await storage.index.appendAudit({
    actor: actor.name,
    role: actor.role,
    action: 'withdraw_consent',
    reason,
    from: actor.from,
    detail: { number, recordings: matches.length },
  });
  for (const rec of matches) {
    const policy = policyFor(storage.config, rec.policy);
    if (!policy.withdraw_consent_erases) {
      if (rec.restricted) result.restricted.push(rec.id);
      else if (policy.restriction_allowed) {
        await setRestriction(storage, actor, rec.id, true, reason);
        result.restricted.push(rec.id);
      } else result.unchanged.push(rec.id);
      continue;
    }
    if (rec.legalHold) {
      result.keptOnHold.push(rec.id);
      continue;
    }
    if (rec.restricted) {
      result.keptRestricted.push(rec.id);
      continue;
    }
    await storage.index.appendAudit({
      actor: actor.name,
      role: actor.role,
      action: 'erase',
      recordingId: rec.id,
      reason,
      from: actor.from,
    });
    await destroyRecording(storage, rec.id);
    result.erased.push(rec.id);
  }
  return result;
}
