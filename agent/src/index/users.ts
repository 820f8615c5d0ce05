/** Validation of users and DPO grants before they are stored (u!<username>, g!<grant id>). */
import { IndexBadUserError, IndexNotFoundError } from './errors.js';
import { KEY_END, PREFIX } from './keys.js';
import { SYNC, type Db } from './storage.js';
import { isValidId } from './record-codec.js';
import { parseIsoMs } from './keys.js';
import type { Grant, GrantInput, GrantScope, Role, User, UserInput } from './types.js';

export const ROLES: readonly Role[] = ['agent', 'supervisor', 'admin', 'qa', 'dpo'];
const USERNAME_RE = /^[A-Za-z0-9._@-]{1,64}$/;
const GRANTED_BY_RE = /^[\x21-\x7e]{1,200}$/;

export function isValidUsername(name: unknown): name is string {
  return typeof name === 'string' && USERNAME_RE.test(name);
}

function iso(value: unknown, field: string): string {
  const ms = parseIsoMs(value);
  if (ms === null) throw new IndexBadUserError(field, 'must be an ISO 8601 time');
  return new Date(ms).toISOString();
}

function stringList(value: unknown, field: string, check: (s: string) => boolean): readonly string[] | null {
  if (value === null) return null;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && check(v))) {
    throw new IndexBadUserError(field, 'must be null or a list of valid strings');
  }
  return [...(value as string[])];
}

export function canonicalUser(u: UserInput, now: Date): User {
  if (typeof u !== 'object' || u === null) throw new IndexBadUserError('username', 'user must be an object');
  if (!isValidUsername(u.username))
    throw new IndexBadUserError('username', 'must match [A-Za-z0-9._@-]{1,64}');
  if (!ROLES.includes(u.role)) throw new IndexBadUserError('role', `must be one of ${ROLES.join(', ')}`);
  const agentId = u.agentId ?? null;
  if (agentId !== null && (typeof agentId !== 'string' || agentId.length === 0 || agentId.length > 256)) {
    throw new IndexBadUserError('agentId', 'must be a non-empty string or null');
  }
  // Refuses anything that is not our scrypt format, so a plain password can never be stored.
  if (
    typeof u.passwordHash !== 'string' ||
    !u.passwordHash.startsWith('scrypt$') ||
    u.passwordHash.split('$').length !== 6
  ) {
    throw new IndexBadUserError('passwordHash', 'must come from hashPassword()');
  }
  if (u.disabled !== undefined && typeof u.disabled !== 'boolean')
    throw new IndexBadUserError('disabled', 'must be a boolean');
  const totp = u.totp ?? null;
  if (
    totp !== null &&
    (typeof totp.sealed !== 'string' || totp.sealed.length === 0 || !Number.isSafeInteger(totp.lastStep))
  )
    throw new IndexBadUserError('totp', 'must be null or {sealed, lastStep}');
  return {
    username: u.username,
    role: u.role,
    agentId,
    passwordHash: u.passwordHash,
    createdAt: u.createdAt === undefined ? now.toISOString() : iso(u.createdAt, 'createdAt'),
    disabled: u.disabled ?? false,
    ...(totp === null ? {} : { totp: { sealed: totp.sealed, lastStep: totp.lastStep } }),
  };
}

function canonicalScope(s: GrantScope): GrantScope {
  if (typeof s !== 'object' || s === null) throw new IndexBadUserError('scope', 'must be an object');
  if (typeof s.pseudonymised !== 'boolean')
    throw new IndexBadUserError('scope.pseudonymised', 'must be a boolean');
  return {
    services: stringList(s.services, 'scope.services', (v) => v.length > 0),
    recordingIds: stringList(s.recordingIds, 'scope.recordingIds', isValidId),
    pseudonymised: s.pseudonymised,
  };
}

export function canonicalGrant(g: GrantInput, id: string, now: Date): Grant {
  if (typeof g !== 'object' || g === null) throw new IndexBadUserError('username', 'grant must be an object');
  if (!isValidUsername(g.username))
    throw new IndexBadUserError('username', 'must match [A-Za-z0-9._@-]{1,64}');
  // A user name (API) or the OS identity the control socket saw (`os:root(uid=0,pid=1)`).
  if (typeof g.grantedBy !== 'string' || !GRANTED_BY_RE.test(g.grantedBy))
    throw new IndexBadUserError('grantedBy', 'must be a user name or an OS identity');
  const reason = g.reason ?? null;
  if (reason !== null && (typeof reason !== 'string' || reason.length > 4096))
    throw new IndexBadUserError('reason', 'must be a string');
  const expiresAt = iso(g.expiresAt, 'expiresAt');
  if (Date.parse(expiresAt) <= now.getTime())
    throw new IndexBadUserError('expiresAt', 'must be in the future');
  return {
    id,
    username: g.username,
    scope: canonicalScope(g.scope),
    grantedBy: g.grantedBy,
    reason,
    createdAt: now.toISOString(),
    expiresAt,
  };
}

export async function loadUser(db: Db, username: string): Promise<User | null> {
  if (!isValidUsername(username)) return null;
  const v = await db.get(PREFIX.user + username);
  return v === undefined ? null : (JSON.parse(v) as User);
}

export async function loadUsers(db: Db): Promise<User[]> {
  const values = await db.values({ gte: PREFIX.user, lt: PREFIX.user + KEY_END }).all();
  return values.map((v) => JSON.parse(v) as User);
}

export async function loadGrants(db: Db): Promise<Grant[]> {
  const values = await db.values({ gte: PREFIX.grant, lt: PREFIX.grant + KEY_END }).all();
  return values.map((v) => JSON.parse(v) as Grant);
}

export function userPutOp(user: User): { type: 'put'; key: string; value: string } {
  return { type: 'put', key: PREFIX.user + user.username, value: JSON.stringify(user) };
}

/** Grants in force at `now` (or all with includeExpired), optionally of one user. */
export function grantsMatching(
  grants: readonly Grant[],
  query: { username?: string; includeExpired?: boolean },
  now: Date,
): Grant[] {
  const nowMs = now.getTime();
  return grants.filter(
    (g) =>
      (query.username === undefined || g.username === query.username) &&
      (query.includeExpired === true || Date.parse(g.expiresAt) > nowMs),
  );
}

/** Deletes the user and, in the same batch, every grant held by them. */
export async function removeUser(db: Db, username: string): Promise<boolean> {
  if ((await loadUser(db, username)) === null) return false;
  const grants = (await loadGrants(db)).filter((g) => g.username === username);
  await db.batch(
    [
      { type: 'del', key: PREFIX.user + username },
      ...grants.map((g) => ({ type: 'del' as const, key: PREFIX.grant + g.id })),
    ],
    SYNC,
  );
  return true;
}

/** The put of a grant for an existing user (CV_ERR_INDEX_NOT_FOUND otherwise). */
export async function grantPutOp(db: Db, grant: Grant): Promise<{ type: 'put'; key: string; value: string }> {
  if ((await loadUser(db, grant.username)) === null) throw new IndexNotFoundError('user', grant.username);
  return { type: 'put', key: PREFIX.grant + grant.id, value: JSON.stringify(grant) };
}

export async function loadGrant(db: Db, id: string): Promise<Grant | null> {
  if (typeof id !== 'string' || id.length === 0 || id.length > 64) return null;
  const v = await db.get(PREFIX.grant + id);
  return v === undefined ? null : (JSON.parse(v) as Grant);
}
