/**
 * Codes become HTTP statuses here and only here (STYLE rule 15). Every error answer is JSON
 * `{error: {code, message}}`; unknown errors are 500 with no detail: internals never leak.
 */
import type { Response } from 'express';
import { IntegrityError, UserError } from '../common/index.js';

export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Readonly<Record<string, string>>;
  constructor(status: number, code: string, message: string, headers: Readonly<Record<string, string>> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/**
 * A finished recording whose bytes no longer match its signed digest is 500 with its code: the
 * fault is the appliance's stored data, not the request, and nothing the client changes makes
 * it succeed (409 would invite a retry). 5xx also reaches the alerts that watch for them.
 */
const INTEGRITY_STATUS = 500;

const BY_CODE: Readonly<Record<string, number>> = {
  CV_ERR_INDEX_BAD_QUERY: 400,
  CV_ERR_INDEX_BAD_USER: 400,
  CV_ERR_INDEX_WEAK_PASSWORD: 400,
  CV_ERR_INDEX_NOT_FOUND: 404,
  CV_ERR_INDEX_USER_EXISTS: 409,
  CV_ERR_VAULT_NOT_FOUND: 404,
  CV_ERR_STORAGE_NOT_FOUND: 404,
  CV_ERR_RETENTION_NOT_FOUND: 404,
  CV_ERR_RETENTION_LEGAL_HOLD: 423,
  CV_ERR_RETENTION_RESTRICTED: 423,
  CV_ERR_RETENTION_GRANT_NOT_FOUND: 404,
  CV_ERR_TRAINING_IN_PROGRESS: 409,
  CV_ERR_TRAINING_NO_AUDIO: 409,
  CV_ERR_VAULT_BAD_RANGE: 416,
  CV_ERR_VAULT_TAMPERED: INTEGRITY_STATUS,
  CV_ERR_VAULT_TRUNCATED: INTEGRITY_STATUS,
  CV_ERR_VAULT_REORDERED: INTEGRITY_STATUS,
  CV_ERR_VAULT_NOT_A_CONTAINER: INTEGRITY_STATUS,
  CV_ERR_VAULT_BAD_SIGNATURE: INTEGRITY_STATUS,
  CV_ERR_VAULT_DIGEST_MISMATCH: INTEGRITY_STATUS,
};

const INTEGRITY_MESSAGE = 'the recording failed its integrity check';

export function sendError(res: Response, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof HttpError) {
    for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
    res.status(err.status).json({ error: { code: err.code, message: err.message } });
    return;
  }
  const e = err as { code?: string; message?: string };
  const mapped = e.code !== undefined ? BY_CODE[e.code] : undefined;
  if (mapped !== undefined) {
    // Server-side faults keep their code (the evidence) but not their detail.
    const message = mapped >= 500 ? INTEGRITY_MESSAGE : e.message;
    res.status(mapped).json({ error: { code: e.code, message } });
  } else if (err instanceof IntegrityError) {
    res.status(INTEGRITY_STATUS).json({ error: { code: err.code, message: INTEGRITY_MESSAGE } });
  } else if (err instanceof UserError) {
    res.status(400).json({ error: { code: err.code, message: err.message } });
  } else {
    res.status(500).json({ error: { code: 'CV_ERR_API_INTERNAL', message: 'internal error' } });
  }
}

export const unauthorized = (): HttpError =>
  new HttpError(401, 'CV_ERR_API_UNAUTHORIZED', 'log in first: Authorization: Bearer TOKEN');
export const forbidden = (why: string): HttpError => new HttpError(403, 'CV_ERR_API_FORBIDDEN', why);
export const notFound = (): HttpError => new HttpError(404, 'CV_ERR_API_NOT_FOUND', 'no such recording');
