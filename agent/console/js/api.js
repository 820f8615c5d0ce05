// Calls to /api/v1 with the console's cookie session. The session token never reaches this
// code (HttpOnly cookie); the CSRF token from the login answer or GET /session goes with
// every change.
let csrf = '';

export function setCsrf(token) {
  csrf = token ?? '';
}

/** An API answer that was not 2xx: the HTTP status and the stable error code. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
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

/** What the page shows for an error: a sentence for people, never a stack trace. */
export function describe(err) {
  if (err instanceof ApiError) {
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
    throw new ApiError(0, 'CV_ERR_NETWORK', '');
  }
  if (res.status === 204) return null;
  const type = res.headers.get('content-type') ?? '';
  const data = type.includes('application/json') ? await res.json().catch(() => null) : null;
  if (!res.ok) {
    const e = data?.error ?? {};
    throw new ApiError(res.status, e.code ?? 'CV_ERR_UNKNOWN', e.message ?? '');
  }
  return data;
}

/** A same-origin URL the browser fetches with the cookie (audio, downloads): no token in it. */
export function url(path, query) {
  const q = new URLSearchParams(query).toString();
  return `/api/v1${path}${q ? `?${q}` : ''}`;
}
