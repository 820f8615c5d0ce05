/**
 * Managing user accounts: the verbs the CLI (`users …`) and the admin API share, so both apply
 * the same password rule and write the same audit entries. A change and its audit entry are one
 * index batch (both or neither). Get-then-put is not atomic across processes, but only one process owns the index.
 */
import { assertPasswordAllowed } from './password-rule.js';
import { hashPassword } from './password.js';
import { IndexBadUserError, IndexNotFoundError, IndexUserExistsError } from './errors.js';
import { newTotpSecret, otpauthUri, verifyTotp } from './totp.js';
import type { RecordingIndex } from './recording-index.js';
import type { Role, User } from './types.js';

export interface AccountActor {
  readonly name: string;
  readonly role: Role | 'system';
  readonly from: string | null;
}

/** What may be shown of a user: never the hash. */
export interface UserView {
  readonly username: string;
  readonly role: Role;
  readonly agentId: string | null;
  readonly createdAt: string;
  readonly disabled: boolean;
  readonly totp: boolean;
}

export const userView = (u: User): UserView => ({
  username: u.username,
  role: u.role,
  agentId: u.agentId,
  createdAt: u.createdAt,
  disabled: u.disabled,
  totp: u.totp !== undefined && u.totp !== null,
});

async function existing(index: RecordingIndex, username: string): Promise<User> {
  const user = await index.getUser(username);
  if (user === null) throw new IndexNotFoundError('user', username);
  return user;
}

export async function addAccount(
  index: RecordingIndex,
  actor: AccountActor,
  input: { username: string; role: Role; agentId: string | null; password: string },
): Promise<UserView> {
  assertPasswordAllowed(input.password, input.username);
  if ((await index.getUser(input.username)) !== null) throw new IndexUserExistsError(input.username);
  const user = await index.putUser({
    username: input.username,
    role: input.role,
    agentId: input.agentId,
    passwordHash: await hashPassword(input.password),
    disabled: false,
  }, {
    actor: actor.name,
    role: actor.role,
    action: 'user_add',
    from: actor.from,
    detail: { username: input.username, role: input.role },
  });
  return userView(user);
}

export async function listAccounts(index: RecordingIndex): Promise<UserView[]> {
  return (await index.listUsers()).map(userView);
}

/** Disabling keeps the account (and its audit trail) but stops its logins and live sessions. */
export async function setAccountDisabled(
  index: RecordingIndex,
  actor: AccountActor,
  username: string,
  disabled: boolean,
): Promise<UserView> {
  const user = await existing(index, username);
  const stored = user.disabled === disabled ? user : await index.putUser({ ...user, disabled }, {
    actor: actor.name,
    role: actor.role,
    action: disabled ? 'user_disable' : 'user_enable',
    from: actor.from,
    detail: { username },
  });
  return userView(stored);
}

export async function changeAccountPassword(
  index: RecordingIndex,
  actor: AccountActor,
  username: string,
  password: string,
): Promise<UserView> {
  const user = await existing(index, username);
  assertPasswordAllowed(password, username);
  const stored = await index.putUser({ ...user, passwordHash: await hashPassword(password) }, {
    actor: actor.name,
    role: actor.role,
    action: 'user_passwd',
    from: actor.from,
    detail: { username },
  });
  return userView(stored);
}

export async function removeAccount(
  index: RecordingIndex,
  actor: AccountActor,
  username: string,
): Promise<void> {
  if (!(await index.deleteUser(username))) throw new IndexNotFoundError('user', username);
  await index.appendAudit({
    actor: actor.name,
    role: actor.role,
    action: 'user_delete',
    from: actor.from,
    detail: { username },
  });
}

/**
 * Enrols (or re-enrols) a TOTP second factor; returns the secret and otpauth URI to show once.
 * Only admin and dpo accounts take one: theirs are the accounts that open everything.
 */
export async function enrolTotp(
  index: RecordingIndex,
  actor: AccountActor,
  username: string,
): Promise<{ username: string; secret: string; uri: string }> {
  const user = await existing(index, username);
  if (user.role !== 'admin' && user.role !== 'dpo')
    throw new IndexBadUserError('totp', 'a second factor is for admin and dpo accounts');
  const secret = newTotpSecret();
  await index.putUser({ ...user, totp: { sealed: index.sealUserSecret(username, secret), lastStep: 0 } }, {
    actor: actor.name,
    role: actor.role,
    action: 'user_totp',
    from: actor.from,
    detail: { username, enabled: true },
  });
  return { username, secret, uri: otpauthUri(secret, username) };
}

export async function removeTotp(
  index: RecordingIndex,
  actor: AccountActor,
  username: string,
): Promise<UserView> {
  const user = await existing(index, username);
  const stored = await index.putUser({ ...user, totp: null }, {
    actor: actor.name,
    role: actor.role,
    action: 'user_totp',
    from: actor.from,
    detail: { username, enabled: false },
  });
  return userView(stored);
}

/**
 * Checks a user's TOTP code and records its step (so it cannot be used twice). True when the
 * account has no second factor.
 */
export async function checkTotp(
  index: RecordingIndex,
  user: User,
  code: unknown,
  nowMs: number,
): Promise<boolean> {
  if (user.totp === undefined || user.totp === null) return true;
  if (typeof code !== 'string') return false;
  const step = verifyTotp(
    index.openUserSecret(user.username, user.totp.sealed),
    code,
    nowMs,
    user.totp.lastStep,
  );
  if (step === null) return false;
  await index.putUser({ ...user, totp: { ...user.totp, lastStep: step } });
  return true;
}
