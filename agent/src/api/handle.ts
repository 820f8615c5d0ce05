/** Wraps an async route: every rejection becomes the one JSON error shape (http-errors.ts). */
import type { Request, Response } from 'express';
import { sendError } from './http-errors.js';

type Handler = (req: Request, res: Response) => Promise<void>;

export const handle =
  (fn: Handler) =>
  (req: Request, res: Response): void => {
    fn(req, res).catch((err: unknown) => sendError(res, err));
  };

/** The same for a middleware: passes to the next handler when fn resolves. */
export const guard =
  (fn: Handler) =>
  (req: Request, res: Response, next: () => void): void => {
    fn(req, res).then(
      () => next(),
      (err: unknown) => sendError(res, err),
    );
  };
