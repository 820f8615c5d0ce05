/**
 * One login attempt, in an order that leaks nothing and cannot be raced:
 * 1. the request's shape (a malformed user name is 400 at once: it cannot name an account);
 * 2. a throttle slot for the user name and the address, reserved synchronously (429 otherwise);
 * 3. exactly one scrypt verification whatever the account's state: an unknown user name is
 *    checked against a dummy hash made with the same parameters, a disabled account against its
 *    own hash, so all three answer in the same time;
 * 4. for an account with a second factor, the TOTP code in `otp`, checked only after the right
 *    password (a code is usable once);
 * 5. failures are counted into the aggregated audit; a success is audited on its own.
 */
import { hashPassword, isValidUsername, MAX_PASSWORD_CHARS, verifyPassword } from '../index/index.js';
import type { AuditInput, ScryptParams, User } from '../index/index.js';
import { HttpError } from './http-errors.js';
import type { LoginThrottle } from './login-throttle.js';
import type { LoginFailureAudit } from './login-audit.js';

export interface LoginDeps {
  readonly findUser: (username: string) => Promise<User | null>;
  readonly append: (e: AuditInput) => Promise<unknown>;
  readonly throttle: LoginThrottle;
  readonly failures: LoginFailureAudit;
  /** From makeDummyHash(): what an unknown user name is checked against. */
  readonly dummyHash: string;
  /** The account's second factor (TOTP) against `otp`; true when it has none. */
  readonly secondFactor: (user: User, otp: unknown) => Promise<boolean>;
}

/** A hash of a random password with the parameters real accounts get (hashPassword defaults). */
export async function makeDummyHash(params?: ScryptParams): Promise<string> {
  return hashPassword(`dummy-${Math.random()}-${Date.now()}`, params);
}

export const badLogin = (why: string): HttpError => new HttpError(400, 'CV_ERR_API_BAD_LOGIN', why);

export async function attemptLogin(deps: LoginDeps, body: unknown, source: string): Promise<User> {
  const b = (typeof body === 'object' && body !== null ? body : {}) as {
    username?: unknown;
    password?: unknown;
  };
  const { username, password } = b;
  const otp = (b as { otp?: unknown }).otp;
  if (!isValidUsername(username)) {
    deps.failures.record(source, 'malformed', null);
    throw badLogin('username must be 1-64 of A-Z a-z 0-9 . _ @ -');
  }
  if (typeof password !== 'string' || password.length === 0 || password.length > MAX_PASSWORD_CHARS) {
    deps.failures.record(source, 'malformed', username);
    throw badLogin(`password must be 1-${MAX_PASSWORD_CHARS} characters`);
  }
  const slot = deps.throttle.reserve(username, source);
  if (!slot.ok) {
    deps.failures.record(source, 'refused', username);
    throw new HttpError(429, 'CV_ERR_API_TOO_MANY_LOGINS', 'too many failed logins; try again later', {
      'Retry-After': String(slot.retryAfterS),
    });
  }
  const user = await deps.findUser(username);
  const ok = await verifyPassword(password, user?.passwordHash ?? deps.dummyHash);
  // A wrong or missing one-time code answers like a wrong password: the answer never tells a
  // guesser that the password half was right.
  if (!ok || user === null || user.disabled || !(await deps.secondFactor(user, otp))) {
    deps.failures.record(source, 'failed', username);
    throw new HttpError(401, 'CV_ERR_API_BAD_CREDENTIALS', 'wrong user name or password');
  }
  slot.ticket.succeeded();
  await deps.append({ actor: user.username, role: user.role, action: 'login', from: source });
  return user;
}
