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

const BY_CODE: Readonly<Record<string, number>> = {
  CV_ERR_INDEX_BAD_QUERY: 400,
  CV_ERR_INDEX_BAD_USER: 400,
  CV_ERR_INDEX_WEAK_PASSWORD: 400,
  CV_ERR_INDEX_NOT_FOUND: 404,
  CV_ERR_INDEX_USER_EXISTS: 409,
  CV_ERR_VAULT_NOT_FOUND: 404,
  CV_ERR_STORAGE_NOT_FOUND: 404,
  CV_ERR_VAULT_BAD_RANGE: 416,
};

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
    res.status(mapped).json({ error: { code: e.code, message: e.message } });
  } else if (err instanceof IntegrityError) {
    // The stored recording fails its integrity check: a state of the resource that retrying will
    // not change, so 409 with the code as the evidence (the detail stays in the log).
    res.status(409).json({ error: { code: err.code, message: 'the recording failed its integrity check' } });
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
