/**
 * The DPO's single-recording commands over the control socket (and locally with no daemon):
 * erasure and rectification. Same functions as the API (retention/).
 */
import type { Actor, Storage } from '../storage/index.js';
import { eraseRecording, rectifyRecording } from '../retention/index.js';
import type { ControlRequest } from './server.js';
import type { ControlHandlers } from './commands.js';
import { reasonOf, requiredText } from './args.js';

type DpoHandlers = Pick<ControlHandlers, 'erase' | 'rectify'>;

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
