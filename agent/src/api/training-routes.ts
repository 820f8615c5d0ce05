/**
 * `POST /recordings/{id}/training-copy` [{reason}] → 201 {id} (the contract lists no body; a reason sent is checked and audited): a pseudonymised training copy
 * (training/copy.ts), made by the DPO only — it decides what is used for training (seed 004).
 * Same function as `callvaultctl training-copy`.
 */
import express, { type Router } from 'express';
import type { Storage } from '../storage/index.js';
import { makeTrainingCopy } from '../training/index.js';
import { dpo, optionalReasonOf } from './dpo-routes.js';
import { handle } from './handle.js';

export function trainingRoutes(storage: Storage): Router {
  const r = express.Router();
  r.post(
    '/recordings/:id/training-copy',
    handle(async (req, res) => {
      const actor = dpo(req);
      const reason = optionalReasonOf(req);
      const copy = await makeTrainingCopy(storage, actor, String(req.params['id']), reason);
      res.status(201).json({ id: copy.id, durationMs: copy.durationMs, maskedSpans: copy.maskedSpans });
    }),
  );
  return r;
}
