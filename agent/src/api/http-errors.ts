/**
 * Codes become HTTP statuses here and only here (STYLE rule 15). Unknown errors are 500 with
 * no detail: internals never leak to a client.
 */
import type { Response } from 'express';
import { IntegrityError, UserError } from '../common/index.js';

export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const BY_CODE: Readonly<Record<string, number>> = {
  CV_ERR_INDEX_BAD_QUERY: 400,
  CV_ERR_VAULT_NOT_FOUND: 404,
  CV_ERR_STORAGE_NOT_FOUND: 404,
  CV_ERR_RETENTION_NOT_FOUND: 404,
  CV_ERR_VAULT_BAD_RANGE: 416,
};

export function sendError(res: Response, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof HttpError) {
    res.status(err.status).json({ error: { code: err.code, message: err.message } });
    return;
  }
  const e = err as { code?: string; message?: string };
  const mapped = e.code !== undefined ? BY_CODE[e.code] : undefined;
  if (mapped !== undefined) {
    res.status(mapped).json({ error: { code: e.code, message: e.message } });
  } else if (err instanceof IntegrityError) {
    // The recording failed its integrity check: say so (the code is the evidence), keep the detail.
    res.status(500).json({ error: { code: err.code, message: 'the recording failed its integrity check' } });
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
