/**
 * `callvaultctl grant add|list|revoke` and `training-copy` over the control socket (and locally
 * with no daemon): the same functions as the API's /grants (retention/grants.ts) and
 * /recordings/{id}/training-copy (training/), audited with the OS user.
 */
import { UserError, visibleLength } from '../common/index.js';
import type { Actor, Storage } from '../storage/index.js';
import { addGrant, listGrantViews, revokeGrant } from '../retention/index.js';
import { makeTrainingCopy } from '../training/index.js';
import type { ControlRequest } from './server.js';
import type { ControlHandlers } from './commands.js';

type GrantHandlers = Pick<ControlHandlers, 'grant.add' | 'grant.list' | 'grant.revoke' | 'training-copy'>;
import { ReasonRequiredError } from './errors.js';

const MIN_REASON_VISIBLE = 5;
const MAX_REASON_LENGTH = 500;

function requiredText(args: Record<string, unknown>, key: string): string {
  const v = args[key];
  if (typeof v !== 'string' || v.length === 0)
    throw new UserError('CV_ERR_CLI_BAD_ARG', `${key} is required`, { context: { key } });
  return v;
}

/** A reason of at least 5 visible characters, or (optional) none at all. */
function reasonOf(args: Record<string, unknown>, optional: boolean): string | null {
  const r = typeof args['reason'] === 'string' ? args['reason'].trim() : '';
  if (optional && r.length === 0) return null;
  if (visibleLength(r) < MIN_REASON_VISIBLE) throw new ReasonRequiredError(MIN_REASON_VISIBLE);
  return r.slice(0, MAX_REASON_LENGTH);
}

export function grantHandlers(storage: Storage, actorOf: (req: ControlRequest) => Actor): GrantHandlers {
  return {
    'grant.add': async (req) =>
      addGrant(storage, actorOf(req), {
        user: requiredText(req.args, 'user'),
        until: requiredText(req.args, 'until'),
        // Optional, as ARCHITECTURE ✦ Commands writes it; one given must still say something.
        reason: reasonOf(req.args, true),
      }),
    'grant.list': async (req) => listGrantViews(storage, req.args['all'] === true),
    'grant.revoke': async (req) =>
      revokeGrant(storage, actorOf(req), requiredText(req.args, 'id'), reasonOf(req.args, true)),
    'training-copy': async (req) =>
      makeTrainingCopy(
        storage,
        actorOf(req),
        requiredText(req.args, 'id'),
        // `training-copy ID` in the contract: a reason is optional, checked when given.
        reasonOf(req.args, true),
      ),
  };
}
