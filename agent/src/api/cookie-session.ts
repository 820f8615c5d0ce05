/**
 * The web console's session: the same server-side session as a bearer token, carried in a
 * cookie the page's scripts cannot read (HttpOnly), that never leaves TLS (Secure) and that the
 * browser sends only on requests from the console's own pages (SameSite=Strict). The `__Host-`
 * prefix makes the browser refuse the cookie unless it is Secure, host-only and Path=/, so a
 * sibling host cannot plant or shadow it.
 *
 * A cookie is sent by the browser on its own, so a state-changing request authenticated by it
 * must also prove it came from the console: the `X-CSRF-Token` header, whose value only the
 * console learns (login answer, GET /session). A cross-site form cannot set a header, and
 * SameSite=Strict already keeps the cookie off cross-site requests; the token is the second lock.
 * A request with an Authorization header is authenticated by that header alone (a browser never
 * adds one by itself), so the bearer API is unchanged.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { HttpError } from './http-errors.js';

export const SESSION_COOKIE = '__Host-cv_session';
export const CSRF_HEADER = 'x-csrf-token';

/** Methods that change nothing (RFC 9110 safe methods): no CSRF token needed. */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface Credentials {
  readonly token: string;
  readonly viaCookie: boolean;
}

/** The session cookie's value, or null. Tolerant of other cookies; bounded like a bearer token. */
export function cookieToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    return /^[A-Za-z0-9_-]{1,256}$/.test(value) ? value : null;
  }
  return null;
}

/**
 * The request's session token: the Authorization header when present (even a malformed one:
 * a client that sends a header means it), else the console's cookie; null when neither.
 */
export function credentialsOf(req: Request): Credentials | null {
  const auth = req.get('authorization');
  if (auth !== undefined) {
    const m = /^Bearer\s+(\S{1,256})$/i.exec(auth);
    return m === null ? null : { token: m[1]!, viaCookie: false };
  }
  const token = cookieToken(req.get('cookie'));
  return token === null ? null : { token, viaCookie: true };
}

export const csrfRefused = (): HttpError =>
  new HttpError(
    403,
    'CV_ERR_API_CSRF',
    'a change made with the console session needs its X-CSRF-Token header (GET /session)',
  );

/** Throws 403 CV_ERR_API_CSRF when a cookie-authenticated change lacks the session's token. */
export function checkCsrf(req: Request, creds: Credentials, expected: string): void {
  if (!creds.viaCookie || SAFE_METHODS.has(req.method)) return;
  const sent = Buffer.from(req.get(CSRF_HEADER) ?? '');
  const want = Buffer.from(expected);
  if (sent.length !== want.length || !timingSafeEqual(sent, want)) throw csrfRefused();
}

/** Whether the login body asks for the console's cookie instead of a token in the answer. */
export function wantsCookie(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { cookie?: unknown }).cookie === true;
}

export function setSessionCookie(res: Response, token: string, maxAgeS: number): void {
  res.setHeader(
    'Set-Cookie',
    `${SESSION_COOKIE}=${token}; Path=/; Max-Age=${Math.max(0, Math.floor(maxAgeS))}; HttpOnly; Secure; SameSite=Strict`,
  );
}

export function clearSessionCookie(res: Response): void {
  res.setHeader('Set-Cookie', `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict`);
}
