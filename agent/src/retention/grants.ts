/**
 * The DPO's grants (seed 004: "The data protection officer grants access to call recordings to
 * managers responsible for training and quality assurance"): a qa or supervisor account gets
 * access until a time. What a grant opens is decided per request in api/access.ts, from the
 * grants in force at that moment, so a revoked or expired grant stops working at the next request.
 * Each change is one batch with its audit entry; a refusal is audited and changes nothing.
 */
import type { Grant } from '../index/index.js';
import { isValidUsername } from '../index/index.js';
import type { Actor, Storage } from '../storage/index.js';
import { refuse } from './erase.js';
import {
  BadFieldError,
  GrantNotFoundError,
  GrantPastError,
  GrantRoleError,
  GrantUserError,
} from './errors.js';

/** The roles a grant is for; the others' access is fixed by the policy. */
export const GRANTABLE_ROLES = ['qa', 'supervisor'] as const;

export interface GrantRequest {
  readonly user: string;
  /** ISO time the grant ends (exclusive). */
  readonly until: string;
  /** Why (the API asks for one; the CLI's --reason is optional, as the contract writes it). */
  readonly reason: string | null;
}

/** What the API and CLI show of a grant. */
export interface GrantView {
  readonly id: string;
  readonly user: string;
  readonly until: string;
  readonly grantedBy: string;
  readonly reason: string | null;
  readonly createdAt: string;
  /** The holder sees pseudonymised training copies only (qa under qa_pseudonymised). */
  readonly pseudonymised: boolean;
  readonly inForce: boolean;
}

export function grantView(g: Grant, now: Date = new Date()): GrantView {
  return {
    id: g.id,
    user: g.username,
    until: g.expiresAt,
    grantedBy: g.grantedBy,
    reason: g.reason,
    createdAt: g.createdAt,
    pseudonymised: g.scope.pseudonymised,
    inForce: Date.parse(g.expiresAt) > now.getTime(),
  };
}

/** ISO 8601 with a date and a time: "2027-01-01" alone is ambiguous about the hour and zone. */
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d/;

export async function addGrant(
  storage: Storage,
  actor: Actor,
  req: GrantRequest,
  now: Date = new Date(),
): Promise<GrantView> {
  // Only a well-formed name goes into the log (a refused name may be anything the client sent).
  const named = isValidUsername(req.user) ? { user: req.user } : {};
  const no = (err: Error & { code: string }): Promise<never> =>
    refuse(storage, actor, 'grant_refused', null, req.reason, err, { op: 'add', ...named });
  const untilMs = ISO_TIME.test(req.until) ? Date.parse(req.until) : Number.NaN;
  if (Number.isNaN(untilMs))
    return no(new BadFieldError('until', 'must be an ISO time such as 2027-01-31T17:00:00Z'));
  const until = new Date(untilMs).toISOString();
  if (untilMs <= now.getTime()) return no(new GrantPastError(until));
  const user = isValidUsername(req.user) ? await storage.index.getUser(req.user) : null;
  if (user === null) return no(new GrantUserError('no account of that name'));
  if (!(GRANTABLE_ROLES as readonly string[]).includes(user.role)) return no(new GrantRoleError(user.role));
  const grant = await storage.index.putGrant(
    {
      username: user.username,
      // Whole-store scope: the contract's grant names a user and a time, not a selection.
      scope: {
        services: null,
        recordingIds: null,
        pseudonymised: user.role === 'qa' && storage.config.policy.qa_pseudonymised,
      },
      grantedBy: actor.name,
      reason: req.reason,
      expiresAt: until,
    },
    {
      actor: actor.name,
      role: actor.role,
      action: 'grant',
      reason: req.reason,
      from: actor.from,
      detail: { user: user.username, until },
    },
  );
  return grantView(grant, now);
}

/** Grants in force (or all, expired ones too), oldest first. */
export async function listGrantViews(
  storage: Storage,
  all: boolean,
  now: Date = new Date(),
): Promise<GrantView[]> {
  const grants = await storage.index.listGrants({ includeExpired: all });
  return grants
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))
    .map((g) => grantView(g, now));
}

export async function revokeGrant(
  storage: Storage,
  actor: Actor,
  id: string,
  reason: string | null,
): Promise<{ id: string; revoked: true }> {
  const grant = await storage.index.getGrant(id);
  const audit = {
    actor: actor.name,
    role: actor.role,
    action: 'revoke_grant' as const,
    reason,
    from: actor.from,
    detail: { grantId: id, user: grant?.username ?? null },
  };
  if (grant === null || !(await storage.index.revokeGrant(id, audit)))
    return refuse(storage, actor, 'grant_refused', null, reason, new GrantNotFoundError(), {
      op: 'revoke',
      ...(/^[0-9a-f-]{36}$/.test(id) ? { grantId: id } : {}),
    });
  return { id, revoked: true };
}
