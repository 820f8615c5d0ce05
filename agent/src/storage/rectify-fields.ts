/**
 * Rectification (GDPR art. 16) of a recording's call description: which fields may be
 * rectified and how a rectified value reaches the fields derived from it (the participants).
 * The container is never rewritten (its metadata record and signed digest stay as recorded);
 * the rectified values live in the state sidecar and are laid over the container's metadata
 * on every rebuild, like the DPO's other decisions.
 */
import type { Participant, RecordingPatch, RecordingRecord } from '../index/index.js';

export const RECTIFIABLE_FIELDS = ['number', 'agent', 'agentName', 'service', 'direction'] as const;
export type RectifiableField = (typeof RECTIFIABLE_FIELDS)[number];
/** Field → new value (null: the value is removed). Already validated (retention/rectify.ts). */
export type Rectification = Partial<Record<RectifiableField, string | null>>;

export function isRectifiableField(key: string): key is RectifiableField {
  return (RECTIFIABLE_FIELDS as readonly string[]).includes(key);
}

/** Only known fields with text or null: what a sidecar body may carry. */
export function parseRectification(v: unknown): Rectification | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const out: Record<string, string | null> = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>))
    if (isRectifiableField(k) && (typeof val === 'string' || val === null)) out[k] = val;
  return Object.keys(out).length === 0 ? null : (out as Rectification);
}

function participant(p: Participant, rec: RecordingRecord, fix: Rectification): Participant {
  if (p.side === 'customer' && fix.number !== undefined && (rec.number === null || p.number === rec.number))
    return { ...p, number: fix.number, withheld: fix.number === null ? p.withheld : false };
  if (p.side === 'agent') {
    const name = fix.agentName !== undefined ? fix.agentName : p.name;
    const number =
      fix.agent !== undefined && p.number !== null && p.number === rec.agent ? fix.agent : p.number;
    return { ...p, name, number };
  }
  return p;
}

/**
 * The patch that gives `rec` the rectified values: the old ones leave the participants too,
 * or a search by the old number would still find the recording.
 */
export function rectifiedPatch(rec: RecordingRecord, fix: Rectification): RecordingPatch {
  const { direction, ...rest } = fix;
  return {
    ...rest,
    // Validated on the way in (retention/rectify.ts): one of the three directions.
    ...(direction !== undefined
      ? { direction: (direction ?? 'unknown') as RecordingRecord['direction'] }
      : {}),
    ...(fix.number !== undefined && fix.number !== null ? { numberWithheld: false } : {}),
    participants: rec.participants.map((p) => participant(p, rec, fix)),
  };
}

/** Whether `rec` already carries every rectified value. */
export function hasRectified(rec: RecordingRecord, fix: Rectification): boolean {
  return Object.entries(fix).every(([k, v]) => rec[k as RectifiableField] === v);
}
