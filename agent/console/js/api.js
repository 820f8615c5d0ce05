// Calls to /api/v1 with the console's cookie session. The session token never reaches this
// code (HttpOnly cookie); the CSRF token from the login answer or GET /session goes with
// every change.
let csrf = '';
/** The logged-in role: a 403 means "no grant" for the roles that grants concern. */
let role = '';

export function setCsrf(token) {
  csrf = token ?? '';
}

export function setRole(r) {
  role = r ?? '';
}

/** An API answer that was not 2xx: the HTTP status and the stable error code. */
export class ApiError extends Error {
  constructor(status, code, message, path = '') {
    super(message);
    this.status = status;
    this.code = code;
    /** The API path asked (without /api/v1), so the page can say what was refused. */
    this.path = path;
  }
}

const FRIENDLY = {
  400: 'The request was not accepted.',
  401: 'Your session has expired or you are logged out. Log in again.',
  403: 'Your role does not allow this.',
  404: 'Not found (or not one of your calls).',
  410: 'This recording has been erased.',
  416: 'That position is outside the recording.',
  423: 'Refused: the recording is restricted or on legal hold.',
  429: 'Too many attempts. Wait a moment and try again.',
};

/** Roles that see recordings only while a DPO grant is in force (api/access.ts). */
const GRANTED_ROLES = new Set(['qa', 'supervisor']);
const NO_GRANT =
  'You have no grant in force from the data-protection officer (none was given, or it has ' +
  'expired or been revoked). Ask the DPO for one.';

/** What the page shows for an error: a sentence for people, never a stack trace. */
export function describe(err) {
  if (err instanceof ApiError) {
    // For qa (and supervisors where the policy asks for a grant) a 403 on recordings or calls
    // is a missing grant, not a role that can never see anything: say so, not an empty list.
    if (err.status === 403 && GRANTED_ROLES.has(role) && /^\/(recordings|calls)\b/.test(err.path))
      return NO_GRANT;
    const base = FRIENDLY[err.status] ?? 'The appliance could not do this.';
    if (err.code === 'CV_ERR_API_REASON_REQUIRED') return 'State a reason of at least 5 characters.';
    if (err.code === 'CV_ERR_API_CSRF') return 'The page lost its session key. Reload the page.';
    if (err.code === 'CV_ERR_API_BAD_CREDENTIALS') return 'Wrong user name or password.';
    return err.status === 400 && err.message ? `${base} ${err.message}` : base;
  }
  return 'The appliance cannot be reached.';
}

export async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') headers['x-csrf-token'] = csrf;
  let res;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'CV_ERR_NETWORK', '', path);
  }
  if (res.status === 204) return null;
  const type = res.headers.get('content-type') ?? '';
  const data = type.includes('application/json') ? await res.json().catch(() => null) : null;
  if (!res.ok) {
    const e = data?.error ?? {};
    throw new ApiError(res.status, e.code ?? 'CV_ERR_UNKNOWN', e.message ?? '', path);
  }
  return data;
}

/** A same-origin URL the browser fetches with the cookie (audio, downloads): no token in it. */
export function url(path, query) {
  const q = new URLSearchParams(query).toString();
  return `/api/v1${path}${q ? `?${q}` : ''}`;
}
