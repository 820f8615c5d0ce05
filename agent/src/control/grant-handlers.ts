/**
 * `callvaultctl grant add|list|revoke` and `training-copy` over the control socket (and locally
 * with no daemon): the same functions as the API's /grants (retention/grants.ts) and
 * /recordings/{id}/training-copy (training/), audited with the OS user.
 */
import type { Actor, Storage } from '../storage/index.js';
import { addGrant, listGrantViews, revokeGrant } from '../retention/index.js';
import { makeTrainingCopy } from '../training/index.js';
import type { ControlRequest } from './server.js';
import type { ControlHandlers } from './commands.js';
import { optionalReasonOf, requiredText } from './args.js';

type GrantHandlers = Pick<ControlHandlers, 'grant.add' | 'grant.list' | 'grant.revoke' | 'training-copy'>;

export function grantHandlers(storage: Storage, actorOf: (req: ControlRequest) => Actor): GrantHandlers {
  return {
    'grant.add': async (req) =>
      addGrant(storage, actorOf(req), {
        user: requiredText(req.args, 'user'),
        until: requiredText(req.args, 'until'),
        // Optional, as ARCHITECTURE ✦ Commands writes it; one given must still say something.
        reason: optionalReasonOf(req.args),
      }),
    'grant.list': async (req) => listGrantViews(storage, req.args['all'] === true),
    'grant.revoke': async (req) =>
      revokeGrant(storage, actorOf(req), requiredText(req.args, 'id'), optionalReasonOf(req.args)),
    'training-copy': async (req) =>
      makeTrainingCopy(
        storage,
        actorOf(req),
        requiredText(req.args, 'id'),
        // `training-copy ID` in the contract: a reason is optional, checked when given.
        optionalReasonOf(req.args),
      ),
  };
}
