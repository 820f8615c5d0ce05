/**
 * Rectification by the DPO (GDPR art. 16) of a recording's call description. Audited with the
 * field names, never the values (old or new: both are personal data). Vault first (the state
 * sidecar, so a rebuild keeps the rectified value), then the index in one batch with the audit
 * entry; the container and its signed digest are never touched.
 */
import { normaliseNumber } from '../index/index.js';
import {
  RECTIFIABLE_FIELDS,
  isRectifiableField,
  rectifiedPatch,
  updateWithState,
  type Actor,
  type Rectification,
  type Storage,
} from '../storage/index.js';
import { BadFieldError, RetentionNotFoundError } from './errors.js';
import { refuse } from './erase.js';

const E164 = /^\+[1-9]\d{1,14}$/;
const MAX_CHARS: Readonly<Record<string, number>> = { agent: 100, agentName: 200, service: 100 };

function value(field: string, v: unknown): string | null {
  if (v === null) {
    if (field === 'direction') throw new BadFieldError(field, 'must be inbound, outbound or unknown');
    return null;
  }
  if (typeof v !== 'string') throw new BadFieldError(field, 'must be text or null');
  if (field === 'number') {
    const n = normaliseNumber(v);
    if (n === null || !E164.test(n)) throw new BadFieldError(field, 'must be a number such as +46812345678');
    return n;
  }
  if (field === 'direction') {
    if (v !== 'inbound' && v !== 'outbound' && v !== 'unknown')
      throw new BadFieldError(field, 'must be inbound, outbound or unknown');
    return v;
  }
  const max = MAX_CHARS[field] ?? 100;
  if (v.length === 0 || v.length > max) throw new BadFieldError(field, `must be 1-${max} characters or null`);
  return v;
}

/** Validates `{ field: value }` (value null removes it); unknown fields are errors, never ignored. */
export function parseRectificationInput(input: Readonly<Record<string, unknown>>): Rectification {
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(input)) {
    if (!isRectifiableField(k))
      throw new BadFieldError(k, `cannot be rectified; fields: ${RECTIFIABLE_FIELDS.join(', ')}`);
    out[k] = value(k, v);
  }
  if (Object.keys(out).length === 0)
    throw new BadFieldError('fields', `name at least one of ${RECTIFIABLE_FIELDS.join(', ')}`);
  return out as Rectification;
}

export async function rectifyRecording(
  storage: Storage,
  actor: Actor,
  id: string,
  input: Readonly<Record<string, unknown>>,
  reason: string,
): Promise<{ id: string; fields: string[] }> {
  const fields = Object.keys(input).sort();
  const no = (err: Error & { code: string }): Promise<never> =>
    refuse(storage, actor, 'rectify_refused', id, reason, err, { fields: fields.filter(isRectifiableField) });
  let fix: Rectification;
  try {
    fix = parseRectificationInput(input);
  } catch (err) {
    return no(err as BadFieldError);
  }
  const rec = await storage.index.getRecording(id);
  if (rec === null) return no(new RetentionNotFoundError('recording', id));
  // An anonymised remainder has no personal data left; rectifying would put some back.
  if (rec.flags.includes('anonymised'))
    return no(new BadFieldError('id', 'the recording is anonymised: nothing personal is left to rectify'));
  await updateWithState(storage, id, (r) => rectifiedPatch(r, fix), {
    rectify: fix,
    audit: {
      actor: actor.name,
      role: actor.role,
      action: 'rectify',
      recordingId: id,
      reason,
      from: actor.from,
      detail: { fields },
    },
  });
  return { id, fields };
}
