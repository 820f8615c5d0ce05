/**
 * What the API shows of a recording and of a call in progress: the fields named here, in the
 * order named (the order of the JSON a client reads). A field not named is never shown: a
 * recording's source and signature stay inside.
 */
import type { RecordingRecord } from '../index/index.js';
import type { LiveCall } from '../recorder/index.js';

/** The named fields of `src`, in the order named. */
function pick<T extends object>(src: T, fields: readonly (keyof T & string)[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f] = src[f];
  return out;
}

/** Who the call was with and what it was about: the same fields, in the same order, in both views. */
const WHO_AND_WHAT = ['direction', 'service', 'number', 'numberWithheld', 'agent', 'agentName'] as const;

const RECORDING_FIELDS = [
  'id',
  'startedAt',
  'endedAt',
  'durationMs',
  ...WHO_AND_WHAT,
  'participants',
  'caseId',
  'policy',
  'expiresAt',
  'state',
  'flags',
  'codec',
  'format',
  'consent',
  'consentEvidence',
  'caseClosedAt',
  'legalHold',
  'restricted',
  'digest',
  'stats',
  'quality',
] as const satisfies readonly (keyof RecordingRecord)[];

/** Fields that records written before they existed lack: shown as null, in their place. */
const RECORDING_NULL_WHEN_ABSENT = ['consentEvidence', 'caseClosedAt', 'quality'] as const;

/** What a listener sees of a recording: no signature internals, numbers only when stored. */
export function recordingView(r: RecordingRecord): Record<string, unknown> {
  const out = pick(r, RECORDING_FIELDS);
  for (const f of RECORDING_NULL_WHEN_ABSENT) out[f] = r[f] ?? null;
  return out;
}

const LIVE_CALL_FIELDS = [
  'id',
  'startedAt',
  ...WHO_AND_WHAT,
  'consent',
  'channels',
  'sampleRate',
] as const satisfies readonly (keyof LiveCall)[];

/** A call in progress as GET /calls lists it; only a call with consent may be listened to. */
export function liveCallView(c: LiveCall): Record<string, unknown> {
  return { ...pick(c, LIVE_CALL_FIELDS), listenable: c.consent === 'given' || c.consent === 'not_required' };
}
