/**
 * The DPO's write paths over the API: legal hold, restriction, erasure, rectification, case
 * link / close / reopen.
 * Same code as the CLI (retention/dpo.ts): audited, written to the vault's state sidecar, then
 * to the index. Only the dpo role; a reason in the body where the action needs one.
 */
import express, { type Request, type Router } from 'express';
import type { Storage } from '../storage/index.js';
import {
  eraseRecording,
  linkCase,
  rectifyRecording,
  setCaseState,
  setLegalHold,
  setRestriction,
} from '../retention/index.js';
import { cleanText, MAX_REASON_CHARS, MIN_REASON_LENGTH, userOf, visibleChars } from './access.js';
import { forbidden, HttpError } from './http-errors.js';
import { handle } from './handle.js';

export function body(req: Request): Record<string, unknown> {
  const b: unknown = req.body;
  return typeof b === 'object' && b !== null && !Array.isArray(b) ? (b as Record<string, unknown>) : {};
}

export function bad(message: string): HttpError {
  return new HttpError(400, 'CV_ERR_API_BAD_REQUEST', message);
}

/** The body's reason when one is sent (checked as reasonOf), else null: for actions the contract lists without one. */
export function optionalReasonOf(req: Request): string | null {
  return body(req)['reason'] === undefined ? null : reasonOf(req);
}

export function reasonOf(req: Request): string {
  const r = body(req)['reason'];
  if (typeof r !== 'string' || visibleChars(r) < MIN_REASON_LENGTH)
    throw new HttpError(
      400,
      'CV_ERR_API_REASON_REQUIRED',
      `"reason" of at least ${MIN_REASON_LENGTH} visible characters`,
    );
  return cleanText(r.trim(), MAX_REASON_CHARS);
}

function flag(req: Request, key: string): boolean {
  const v = body(req)[key];
  if (typeof v !== 'boolean') throw bad(`"${key}" must be true or false`);
  return v;
}

export function dpo(req: Request): { name: string; role: 'dpo'; from: string } {
  const user = userOf(req);
  if (user.role !== 'dpo') throw forbidden('only the data-protection officer does this');
  return { name: user.username, role: 'dpo', from: req.ip ?? 'unknown' };
}

export function dpoRoutes(storage: Storage): Router {
  const r = express.Router();

  r.post(
    '/recordings/:id/legal-hold',
    handle(async (req, res) => {
      const actor = dpo(req);
      const id = String(req.params['id']);
      const rec = await setLegalHold(storage, actor, id, flag(req, 'hold'), reasonOf(req));
      res.json({ id, legalHold: rec.legalHold });
    }),
  );
  r.post(
    '/recordings/:id/restriction',
    handle(async (req, res) => {
      const actor = dpo(req);
      const id = String(req.params['id']);
      const rec = await setRestriction(storage, actor, id, flag(req, 'restricted'), reasonOf(req));
      res.json({ id, restricted: rec.restricted });
    }),
  );
  // Erasure (art. 17). No existence check first: an unknown id is refused on record (404).
  r.delete(
    '/recordings/:id',
    handle(async (req, res) => {
      const actor = dpo(req);
      const reason = reasonOf(req);
      res.json({ ...(await eraseRecording(storage, actor, String(req.params['id']), reason)), erased: true });
    }),
  );
  // Rectification (art. 16): every body field but "reason" is a field to rectify.
  r.patch(
    '/recordings/:id',
    handle(async (req, res) => {
      const actor = dpo(req);
      const reason = reasonOf(req);
      const { reason: _reason, ...fields } = body(req);
      const id = String(req.params['id']);
      const done = await rectifyRecording(storage, actor, id, fields, reason);
      res.json({ ...done, recording: await storage.index.getRecording(id) });
    }),
  );
  r.put(
    '/recordings/:id/case',
    handle(async (req, res) => {
      const actor = dpo(req);
      const id = String(req.params['id']);
      const caseId = body(req)['caseId'];
      if (typeof caseId !== 'string') throw bad('"caseId" must be text');
      const rec = await linkCase(storage, actor, id, caseId);
      res.json({ id, caseId: rec.caseId });
    }),
  );
  r.post(
    '/cases/:caseId/close',
    handle(async (req, res) => {
      const actor = dpo(req);
      const raw = body(req)['closedAt'];
      const at = raw === undefined ? new Date() : new Date(String(raw));
      if (Number.isNaN(at.getTime())) throw bad('"closedAt" must be an ISO time');
      res.json(await setCaseState(storage, actor, String(req.params['caseId']), at));
    }),
  );
  r.post(
    '/cases/:caseId/reopen',
    handle(async (req, res) => {
      const actor = dpo(req);
      res.json(await setCaseState(storage, actor, String(req.params['caseId']), null));
    }),
  );
  return r;
}
