/**
 * Who may see what (ARCHITECTURE ✦ Admin API, seeds 001/004): agents only their own calls
 * (or none, when the policy says so), supervisors and admins all, the DPO all for data-subject
 * requests, QA only pseudonymised training copies (none exist yet, so nothing). An agent asking
 * for another agent's recording gets 404, never 403: it must not learn that it exists.
 */
import type { Request } from 'express';
import type { Policy } from '../config/index.js';
import type { RecordingRecord, Role } from '../index/index.js';
import type { SessionUser } from './sessions.js';
import { forbidden, HttpError, notFound } from './http-errors.js';

export const MIN_REASON_LENGTH = 5;

export function userOf(req: Request): SessionUser {
  return (req as Request & { user: SessionUser }).user;
}

/** The agent filter forced on a search, or null when the role sees all calls. */
export function searchScope(user: SessionUser, policy: Policy): string | null {
  const role = user.role as Role;
  if (role === 'supervisor' || role === 'admin' || role === 'dpo') return null;
  if (role === 'agent') {
    if (policy.agent_access !== 'own' || user.agentId === null)
      throw forbidden('agents have no access to recordings under this policy');
    return user.agentId;
  }
  throw forbidden('this role has no access to recordings');
}

export function assertMayRead(
  user: SessionUser,
  policy: Policy,
  record: RecordingRecord | null,
): RecordingRecord {
  if (record === null) throw notFound();
  const scope = searchScope(user, policy);
  if (scope !== null && record.agent !== scope) throw notFound();
  return record;
}

/** Every audio access states why (seed 004: listening without a valid reason is forbidden). */
export function accessReason(req: Request): string {
  const raw =
    req.get('x-access-reason') ?? (typeof req.query['reason'] === 'string' ? req.query['reason'] : '');
  const reason = raw.trim();
  if (reason.length < MIN_REASON_LENGTH) {
    throw new HttpError(
      400,
      'CV_ERR_API_REASON_REQUIRED',
      `state why: X-Access-Reason header or reason query, at least ${MIN_REASON_LENGTH} characters`,
    );
  }
  return reason.slice(0, 500);
}
