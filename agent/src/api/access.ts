/**
 * Who may see what (ARCHITECTURE ✦ Admin API, seeds 001/004), decided per request from the grants
 * in force at that moment (no cache: a revoked or expired grant stops working at the next request):
 * - agent: its own calls, or none when the policy says so; never training copies.
 * - admin: all calls, but not training copies (the notice opens those to granted people only).
 * - supervisor: all calls; under `supervisor_requires_grant` only while granted (403 otherwise);
 *   training copies only while granted.
 * - qa: nothing without a grant (403); with one, training copies only under `qa_pseudonymised`,
 *   else all calls.
 * - dpo: everything (data-subject requests).
 * A recording the caller may not see is 404, never 403: it must not learn that it exists.
 */
import type { Request } from 'express';
import type { Policy } from '../config/index.js';
import type { Grant, RecordingRecord, Role } from '../index/index.js';
import { isTrainingCopy } from '../training/index.js';
import type { SessionUser } from './sessions.js';
import { forbidden, HttpError, notFound } from './http-errors.js';

export const MIN_REASON_LENGTH = 5;

export function userOf(req: Request): SessionUser {
  return (req as Request & { user: SessionUser }).user;
}

/** What one caller may see, for the duration of one request. */
export interface Visibility {
  /** The agent filter forced on a search (agents: their own calls), or null. */
  readonly agent: string | null;
  /** False when every recording in the store is visible: searches need no filtering then. */
  readonly filtered: boolean;
  sees(r: RecordingRecord): boolean;
}

function inScope(g: Grant, r: RecordingRecord): boolean {
  return (
    (g.scope.services === null || (r.service !== null && g.scope.services.includes(r.service))) &&
    (g.scope.recordingIds === null || g.scope.recordingIds.includes(r.id)) &&
    (!g.scope.pseudonymised || isTrainingCopy(r))
  );
}

/**
 * `grantsInForce` is asked only for roles that grants concern (qa, supervisor): one LevelDB
 * range read per request.
 */
export async function visibility(
  user: SessionUser,
  policy: Policy,
  grantsInForce: (username: string) => Promise<readonly Grant[]>,
): Promise<Visibility> {
  const role = user.role as Role;
  const originals = (r: RecordingRecord): boolean => !isTrainingCopy(r);
  switch (role) {
    case 'dpo':
      return { agent: null, filtered: false, sees: () => true };
    case 'admin':
      return { agent: null, filtered: true, sees: originals };
    case 'agent':
      if (policy.agent_access !== 'own' || user.agentId === null)
        throw forbidden('agents have no access to recordings under this policy');
      return { agent: user.agentId, filtered: true, sees: (r) => originals(r) && r.agent === user.agentId };
    case 'supervisor': {
      const grants = await grantsInForce(user.username);
      if (grants.length === 0) {
        if (policy.supervisor_requires_grant)
          throw forbidden('under this policy supervisors need a grant from the data-protection officer');
        return { agent: null, filtered: true, sees: originals };
      }
      return { agent: null, filtered: true, sees: (r) => grants.some((g) => inScope(g, r)) };
    }
    case 'qa': {
      const grants = await grantsInForce(user.username);
      if (grants.length === 0) throw forbidden('qa needs a grant from the data-protection officer');
      const copiesOnly = policy.qa_pseudonymised;
      return {
        agent: null,
        filtered: true,
        sees: (r) => (!copiesOnly || isTrainingCopy(r)) && grants.some((g) => inScope(g, r)),
      };
    }
    default:
      throw forbidden('this role has no access to recordings');
  }
}

export function assertMayRead(vis: Visibility, record: RecordingRecord | null): RecordingRecord {
  if (record === null || !vis.sees(record)) throw notFound();
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
