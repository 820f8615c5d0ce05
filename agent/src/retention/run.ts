/**
 * Applying retention: finds what is due, then deletes (crypto-shred: the data key destroyed and
 * compacted out, the file unlinked, the index entry removed) or anonymises it, auditing each.
 * Also legal hold and consent withdrawal, which decide what retention may touch.
 */
import { UserError } from '../common/index.js';
import type { RecordingRecord } from '../index/index.js';
import type { Actor, Storage } from '../storage/index.js';
import { anonymised, decide, type RetentionDecision } from './plan.js';

export interface RetentionReport {
  readonly at: string;
  readonly dryRun: boolean;
  readonly deleted: readonly string[];
  readonly anonymised: readonly string[];
  readonly keptOnHold: readonly string[];
  readonly failed: readonly { id: string; code: string }[];
}

const PAGE = 1000;

/** Every recording whose expiry has passed at `at`, oldest expiry first. */
async function* dueRecords(storage: Storage, at: Date): AsyncGenerator<RecordingRecord> {
  let cursor: string | undefined;
  do {
    const page = await storage.index.search({
      expiresBefore: at.toISOString(),
      limit: PAGE,
      cursor,
      order: 'asc',
    });
    yield* page.items;
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
}

export async function destroyRecording(storage: Storage, id: string): Promise<void> {
  if (await storage.vault.has(id)) await storage.vault.erase(id);
  await storage.index.deleteRecording(id);
}

export async function runRetention(
  storage: Storage,
  actor: Actor,
  opts: { at?: Date; dryRun?: boolean } = {},
): Promise<RetentionReport> {
  const at = opts.at ?? new Date();
  const dryRun = opts.dryRun === true;
  const decisions: RetentionDecision[] = [];
  for await (const rec of dueRecords(storage, at)) {
    const policy = storage.config.policies[rec.policy] ?? storage.config.policy;
    decisions.push(decide(rec, policy, at));
  }
  const deleted: string[] = [];
  const anon: string[] = [];
  const failed: { id: string; code: string }[] = [];
  for (const d of decisions) {
    if (d.action === 'keep' || dryRun) {
      if (dryRun && d.action === 'delete') deleted.push(d.id);
      if (dryRun && d.action === 'anonymise') anon.push(d.id);
      continue;
    }
    try {
      if (d.action === 'delete') {
        // Audited first: if the deletion is interrupted, the log still says it was started.
        await storage.index.appendAudit({
          actor: actor.name,
          role: actor.role,
          action: 'retention_delete',
          recordingId: d.id,
          from: actor.from,
          detail: { policy: d.policy, expiresAt: d.expiresAt },
        });
        await destroyRecording(storage, d.id);
        deleted.push(d.id);
      } else {
        const rec = await storage.index.getRecording(d.id);
        if (rec === null) continue;
        await storage.index.appendAudit({
          actor: actor.name,
          role: actor.role,
          action: 'anonymise',
          recordingId: d.id,
          from: actor.from,
          detail: { policy: d.policy },
        });
        if (await storage.vault.has(d.id)) await storage.vault.erase(d.id);
        await storage.index.update(d.id, anonymised(rec));
        anon.push(d.id);
      }
    } catch (err) {
      failed.push({ id: d.id, code: (err as { code?: string }).code ?? 'CV_ERR_INTERNAL' });
    }
  }
  return {
    at: at.toISOString(),
    dryRun,
    deleted,
    anonymised: anon,
    keptOnHold: decisions.filter((d) => d.why === 'legal_hold' || d.why === 'restricted').map((d) => d.id),
    failed,
  };
}

/** Recordings past expiry that retention has not removed (held ones excluded): the alert metric. */
export async function countOverdue(storage: Storage, at = new Date()): Promise<number> {
  let n = 0;
  for await (const rec of dueRecords(storage, at)) {
    const policy = storage.config.policies[rec.policy] ?? storage.config.policy;
    if (decide(rec, policy, at).action !== 'keep') n++;
  }
  return n;
}

export async function setLegalHold(
  storage: Storage,
  actor: Actor,
  id: string,
  hold: boolean,
  reason: string,
): Promise<RecordingRecord> {
  const rec = await storage.index.getRecording(id);
  if (rec === null)
    throw new UserError('CV_ERR_RETENTION_NOT_FOUND', `no recording ${id}`, { context: { recordingId: id } });
  const policy = storage.config.policies[rec.policy] ?? storage.config.policy;
  if (hold && !policy.legal_hold_allowed) {
    throw new UserError(
      'CV_ERR_RETENTION_HOLD_NOT_ALLOWED',
      `policy ${policy.name} does not allow legal hold`,
      { context: { recordingId: id } },
    );
  }
  // One batch: the hold and its audit entry land together, or neither does.
  return storage.index.update(
    id,
    { legalHold: hold },
    {
      actor: actor.name,
      role: actor.role,
      action: hold ? 'hold' : 'release',
      recordingId: id,
      reason,
      from: actor.from,
    },
  );
}

/**
 * Seed 004: consent can be withdrawn at any time, and the caller's recordings are then deleted.
 * Recordings on legal hold are kept (and reported): the hold exists because a law needs them.
 */
export async function withdrawConsent(
  storage: Storage,
  actor: Actor,
  number: string,
  reason: string,
): Promise<{ erased: string[]; keptOnHold: string[] }> {
  const erased: string[] = [];
  const keptOnHold: string[] = [];
  const matches: RecordingRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await storage.index.search({ number, limit: PAGE, cursor });
    matches.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  await storage.index.appendAudit({
    actor: actor.name,
    role: actor.role,
    action: 'withdraw_consent',
    reason,
    from: actor.from,
    detail: { number, recordings: matches.length },
  });
  for (const rec of matches) {
    if (rec.legalHold) {
      keptOnHold.push(rec.id);
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
    erased.push(rec.id);
  }
  return { erased, keptOnHold };
}
