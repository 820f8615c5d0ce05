/**
 * What retention does to one recording at a given time: a pure decision, so `retention run
 * --dry-run` and the scheduler agree by construction. Legal hold and restriction stop deletion
 * (PRODUCT: "Legal hold and restriction stop deletion").
 */
import type { Policy } from '../config/index.js';
import type { RecordingRecord } from '../index/index.js';

export type RetentionAction = 'delete' | 'anonymise';

export interface RetentionDecision {
  readonly id: string;
  readonly action: RetentionAction | 'keep';
  readonly why: 'not_due' | 'expired' | 'legal_hold' | 'restricted' | 'already_anonymised';
  readonly policy: string;
  readonly expiresAt: string | null;
}

/** What a decision reads of a recording: plain fields only (see index duePage). */
export type RetentionFields = Pick<
  RecordingRecord,
  'id' | 'expiresAt' | 'legalHold' | 'restricted' | 'flags'
>;

export function decide(record: RetentionFields, policy: Policy, at: Date): RetentionDecision {
  const base = { id: record.id, policy: policy.name, expiresAt: record.expiresAt };
  if (record.expiresAt === null || Date.parse(record.expiresAt) > at.getTime())
    return { ...base, action: 'keep', why: 'not_due' };
  if (record.legalHold) return { ...base, action: 'keep', why: 'legal_hold' };
  if (record.restricted) return { ...base, action: 'keep', why: 'restricted' };
  if (policy.on_expiry === 'anonymise') {
    if (record.flags.includes('anonymised')) return { ...base, action: 'keep', why: 'already_anonymised' };
    return { ...base, action: 'anonymise', why: 'expired' };
  }
  return { ...base, action: 'delete', why: 'expired' };
}

/**
 * The anonymised remainder (seed 003: "personal data removed, the case itself kept"): the audio
 * is destroyed and every field that could identify a person is emptied.
 */
export function anonymised(record: RecordingRecord): Partial<RecordingRecord> {
  return {
    number: null,
    numberWithheld: false,
    agent: null,
    agentName: null,
    participants: [],
    // The case itself is kept; given explicitly because the index can no longer decrypt it from
    // the record it is replacing (sealed under the recording's key, destroyed with the audio).
    caseId: record.caseId,
    stats: null,
    digest: null,
    signature: null,
    expiresAt: null,
    flags: [...new Set([...record.flags.filter((f) => f !== 'recovered'), 'anonymised', 'no_audio'])],
  };
}
