/**
 * The DPO's single-recording commands over the control socket (and locally with no daemon):
 * erasure and rectification. Same functions as the API (retention/).
 */
import { UserError, visibleLength } from '../common/index.js';
import type { Actor, Storage } from '../storage/index.js';
import { eraseRecording, rectifyRecording } from '../retention/index.js';
import type { ControlRequest } from './server.js';
import type { ControlHandlers } from './commands.js';

type DpoHandlers = Pick<ControlHandlers, 'erase' | 'rectify'>;
import { ReasonRequiredError } from './errors.js';

const MIN_REASON_VISIBLE = 5;
const MAX_REASON_LENGTH = 500;

function requiredText(args: Record<string, unknown>, key: string): string {
  const v = args[key];
  if (typeof v !== 'string' || v.length === 0)
    throw new UserError('CV_ERR_CLI_BAD_ARG', `${key} is required`, { context: { key } });
  return v;
}

function reasonOf(args: Record<string, unknown>): string {
  const r = typeof args['reason'] === 'string' ? args['reason'].trim() : '';
  if (visibleLength(r) < MIN_REASON_VISIBLE) throw new ReasonRequiredError(MIN_REASON_VISIBLE);
  return r.slice(0, MAX_REASON_LENGTH);
}

export function dpoHandlers(storage: Storage, actorOf: (req: ControlRequest) => Actor): DpoHandlers {
  return {
    erase: async (req) =>
      eraseRecording(storage, actorOf(req), requiredText(req.args, 'id'), reasonOf(req.args)),
    // fields: { name: value | null } as the CLI parsed `--field name=value` (empty value: null).
    rectify: async (req) => {
      const f = req.args['fields'];
      const fields =
        typeof f === 'object' && f !== null && !Array.isArray(f) ? (f as Record<string, unknown>) : {};
      return rectifyRecording(
        storage,
        actorOf(req),
        requiredText(req.args, 'id'),
        fields,
        reasonOf(req.args),
      );
    },
  };
}
