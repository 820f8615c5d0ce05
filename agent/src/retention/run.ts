/**
 * Applying retention: finds what is due, then deletes (crypto-shred: the data key destroyed and
 * compacted out, the file unlinked, the index entry removed) or anonymises it, auditing each.
 * Also legal hold and consent withdrawal, which decide what retention may touch.
 */
import type { RecordingRecord, RetentionView } from '../index/index.js';
import {
  dpoStateOf,
  effectivePolicies,
  policyFor,
  readDpoState,
  type Actor,
  type Storage,
} from '../storage/index.js';
import { anonymised, decide, type RetentionDecision } from './plan.js';
import { FutureRunError } from './errors.js';
import { destroyRecording, purgeDue } from './purge.js';

export { destroyRecording };

export interface RetentionReport {
  readonly at: string;
  readonly dryRun: boolean;
  readonly deleted: readonly string[];
  readonly anonymised: readonly string[];
  readonly keptOnHold: readonly string[];
  readonly failed: readonly { id: string; code: string }[];
}

const PAGE = 1000;
/** `--at` up to this far ahead counts as now (clocks of CLI and daemon, the time typing took). */
const FUTURE_SLACK_MS = 1000;

/**
 * Every recording whose expiry has passed at `at`, oldest expiry first: only the plain fields a
 * decision needs, read from the expiry index without decrypting a record.
 */
async function* dueRecords(storage: Storage, at: Date): AsyncGenerator<RetentionView> {
  let after: string | null = null;
  do {
    const page = await storage.index.duePage(at, after, PAGE);
    yield* page.items;
    after = page.next;
  } while (after !== null);
}

/**
 * Seed 003: audio and personal data go, the case record stays. The sidecar gets the anonymised
 * record first (a crash after it resumes as an anonymisation at the next start), then the data
 * key — and with it the index's key for this record's personal fields — is destroyed and the
 * container unlinked, then the index holds the remainder.
 */
export async function anonymiseRecording(storage: Storage, rec: RecordingRecord): Promise<RecordingRecord> {
  const next = { ...rec, ...anonymised(rec) };
  const prior = await readDpoState(storage.vault, rec.id);
  await storage.vault.writeState(
    rec.id,
    { ...dpoStateOf(next, (prior?.case ?? null) !== null) },
    Date.parse(rec.startedAt),
  );
  if (await storage.vault.has(rec.id)) await storage.vault.erase(rec.id, { keepState: true });
  return storage.index.update(rec.id, anonymised(rec));
}

export async function runRetention(
  storage: Storage,
  actor: Actor,
  opts: { at?: Date; dryRun?: boolean; force?: boolean } = {},
): Promise<RetentionReport> {
  const at = opts.at ?? new Date();
  const dryRun = opts.dryRun === true;
  // A run "as of" a later time deletes now what is due only then: only on explicit request.
  if (!dryRun && opts.force !== true && at.getTime() > Date.now() + FUTURE_SLACK_MS)
    throw new FutureRunError(at.toISOString());
  const decisions: RetentionDecision[] = [];
  for await (const rec of dueRecords(storage, at)) {
    const policy = policyFor(storage.config, rec.policy);
    decisions.push(decide(rec, policy, at));
  }
  const anon: string[] = [];
  const failed: { id: string; code: string }[] = [];
  if (dryRun) {
    return {
      at: at.toISOString(),
      dryRun,
      deleted: decisions.filter((d) => d.action === 'delete').map((d) => d.id),
      anonymised: decisions.filter((d) => d.action === 'anonymise').map((d) => d.id),
      keptOnHold: keptOnHold(decisions),
      failed,
    };
  }
  const purged = await purgeDue(
    storage,
    actor,
    decisions.filter((d) => d.action === 'delete'),
  );
  const deleted = purged.deleted;
  failed.push(...purged.failed);
  for (const d of decisions) {
    if (d.action !== 'anonymise') continue;
    try {
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
      await anonymiseRecording(storage, rec);
      anon.push(d.id);
    } catch (err) {
      failed.push({ id: d.id, code: (err as { code?: string }).code ?? 'CV_ERR_INTERNAL' });
    }
  }
  return {
    at: at.toISOString(),
    dryRun,
    deleted,
    anonymised: anon,
    keptOnHold: keptOnHold(decisions),
    failed,
  };
}

function keptOnHold(decisions: readonly RetentionDecision[]): string[] {
  return decisions.filter((d) => d.why === 'legal_hold' || d.why === 'restricted').map((d) => d.id);
}

/** Recordings past expiry that retention has not removed (held ones excluded): the alert metric. */
export async function countOverdue(storage: Storage, at = new Date()): Promise<number> {
  let n = 0;
  for await (const rec of dueRecords(storage, at)) {
    const policy = policyFor(storage.config, rec.policy);
    if (decide(rec, policy, at).action !== 'keep') n++;
  }
  return n;
}

/**
 * The start time (ms) of the oldest recording with audio under each policy, for the metric
 * `callvault_recordings_oldest_age_seconds{policy}`: a recording much older than its policy's
 * retention shows retention (or a legal hold) at work or not. Walks the start-time index from
 * the oldest and stops once every configured policy has been seen, so it reads the whole index
 * only when a configured policy has no recording at all (the scheduler runs it hourly).
 */
export async function oldestByPolicy(storage: Storage): Promise<Map<string, number>> {
  const wanted = new Set(Object.keys(effectivePolicies(storage.config)));
  const oldest = new Map<string, number>();
  let cursor: string | undefined;
  do {
    const page = await storage.index.search({ limit: PAGE, cursor, order: 'asc' });
    for (const rec of page.items) {
      if (oldest.has(rec.policy) || rec.flags.includes('no_audio')) continue;
      oldest.set(rec.policy, Date.parse(rec.startedAt));
    }
    cursor = page.nextCursor ?? undefined;
    if ([...wanted].every((p) => oldest.has(p))) break;
  } while (cursor !== undefined);
  return oldest;
}
