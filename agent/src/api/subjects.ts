/**
 * Data-subject requests by number (any spelling: common/phone-number.ts): the DSAR archive and
 * consent withdrawal. Only the data-protection officer; each states why (the DSAR's reason is
 * the DPO's note of how the requester's identity was checked). Same code as the CLI.
 */
import type { Request, Response, Router } from 'express';
import express from 'express';
import { parseSubjectNumber } from '../common/index.js';
import { dsarExport, withdrawConsent } from '../retention/index.js';
import type { ChunkSink, Storage } from '../storage/index.js';
import {
  accessReason,
  cleanText,
  MAX_REASON_CHARS,
  MIN_REASON_LENGTH,
  userOf,
  visibleChars,
} from './access.js';
import { handle } from './handle.js';
import { forbidden, HttpError } from './http-errors.js';

function dpo(req: Request): { name: string; role: 'dpo'; from: string } {
  const user = userOf(req);
  if (user.role !== 'dpo') throw forbidden('only the data-protection officer handles data-subject requests');
  return { name: user.username, role: 'dpo', from: req.ip ?? 'unknown' };
}

function bodyReason(req: Request): string {
  const b: unknown = req.body;
  const r = typeof b === 'object' && b !== null ? (b as Record<string, unknown>)['reason'] : undefined;
  if (typeof r !== 'string' || visibleChars(r) < MIN_REASON_LENGTH)
    throw new HttpError(
      400,
      'CV_ERR_API_REASON_REQUIRED',
      `"reason" of at least ${MIN_REASON_LENGTH} visible characters`,
    );
  return cleanText(r.trim(), MAX_REASON_CHARS);
}

/**
 * Chunks to the response with back-pressure; headers go out with the first chunk, so an error
 * before it (bad number, no such data) is still a JSON answer. A client that leaves ends it.
 */
function responseSink(res: Response): ChunkSink {
  return (chunk) =>
    new Promise<void>((resolve, reject) => {
      if (!res.headersSent) {
        res.setHeader('Content-Type', 'application/x-tar');
        // No number in the file name: it ends up in download folders and proxy logs.
        res.setHeader('Content-Disposition', 'attachment; filename="dsar.tar"');
        res.setHeader('Cache-Control', 'no-store');
      }
      if (res.destroyed) {
        reject(new HttpError(499, 'CV_ERR_API_CLIENT_GONE', 'the client went away'));
        return;
      }
      if (res.write(chunk)) {
        resolve();
        return;
      }
      const onDrain = (): void => {
        res.off('close', onClose);
        resolve();
      };
      const onClose = (): void => {
        res.off('drain', onDrain);
        reject(new HttpError(499, 'CV_ERR_API_CLIENT_GONE', 'the client went away'));
      };
      res.once('drain', onDrain);
      res.once('close', onClose);
    });
}

export function subjectRoutes(storage: Storage): Router {
  const r = express.Router();
  r.get(
    '/subjects/:number/export',
    handle(async (req, res) => {
      const actor = dpo(req);
      const reason = accessReason(req);
      await dsarExport(storage, actor, String(req.params['number']), reason, responseSink(res));
      res.end();
    }),
  );
  r.post(
    '/subjects/:number/withdraw-consent',
    handle(async (req, res) => {
      const actor = dpo(req);
      const reason = bodyReason(req);
      const number = parseSubjectNumber(String(req.params['number']), {
        defaultCountry: storage.config.sip.default_country,
      });
      res.json(await withdrawConsent(storage, actor, number, reason));
    }),
  );
  return r;
}
