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

/** Longest reason kept; a longer one is cut (the audit log is not a document store). */
export const MAX_REASON_CHARS = 500;

/**
 * Text from a client made safe to store and print: control and format characters (NUL, ESC,
 * newlines, bidi overrides) become visible \u escapes, so no stored field can forge a row or
 * recolour a terminal; the length is bounded in code points.
 */
export function cleanText(raw: string, maxChars: number): string {
  const escaped = raw.replace(
    /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu,
    (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`,
  );
  return [...escaped].slice(0, maxChars).join('');
}

/** Letters, digits, punctuation and symbols: what a reader sees. Spaces and invisibles do not count. */
export function visibleChars(s: string): number {
  return s.match(/[\p{L}\p{N}\p{P}\p{S}]/gu)?.length ?? 0;
}

/** Every audio access states why (seed 004: listening without a valid reason is forbidden). */
export function accessReason(req: Request): string {
  const raw =
    req.get('x-access-reason') ?? (typeof req.query['reason'] === 'string' ? req.query['reason'] : '');
  if (visibleChars(raw) < MIN_REASON_LENGTH) {
    throw new HttpError(
      400,
      'CV_ERR_API_REASON_REQUIRED',
      `state why: X-Access-Reason header or reason query, at least ${MIN_REASON_LENGTH} visible characters`,
    );
  }
  return cleanText(raw.trim(), MAX_REASON_CHARS);
}

export function requireRole(user: SessionUser, roles: readonly Role[], what: string): void {
  if (!roles.includes(user.role)) throw forbidden(`only ${roles.join(', ')} may ${what}`);
}
