/**
 * The DPO's grants over the API (ARCHITECTURE ✦ Admin API): `POST /grants` {user, until, reason},
 * `GET /grants[?all=true]`, `DELETE /grants/{id}` [{reason}]. dpo only: the notice gives the DPO
 * this power and nobody else (an admin manages accounts, not access to recordings). Same
 * functions as `callvaultctl grant` (retention/grants.ts).
 */
import express, { type Router } from 'express';
import type { Storage } from '../storage/index.js';
import { addGrant, listGrantViews, revokeGrant } from '../retention/index.js';
import { cleanText, MAX_REASON_CHARS } from './access.js';
import { bad, body, dpo, reasonOf } from './dpo-routes.js';
import { handle } from './handle.js';

export function grantRoutes(storage: Storage): Router {
  const r = express.Router();
  r.post(
    '/grants',
    handle(async (req, res) => {
      const actor = dpo(req);
      const reason = reasonOf(req);
      const { user, until } = body(req);
      if (typeof user !== 'string') throw bad('"user" must be a user name');
      if (typeof until !== 'string') throw bad('"until" must be an ISO time');
      res.status(201).json(await addGrant(storage, actor, { user, until, reason }));
    }),
  );
  r.get(
    '/grants',
    handle(async (req, res) => {
      dpo(req);
      res.json({ grants: await listGrantViews(storage, req.query['all'] === 'true') });
    }),
  );
  r.delete(
    '/grants/:id',
    handle(async (req, res) => {
      const actor = dpo(req);
      const raw = body(req)['reason'];
      // Optional here (revoking only takes access away); kept when given.
      const reason =
        typeof raw === 'string' && raw.trim().length > 0 ? cleanText(raw.trim(), MAX_REASON_CHARS) : null;
      res.json(await revokeGrant(storage, actor, String(req.params['id']), reason));
    }),
  );
  return r;
}
