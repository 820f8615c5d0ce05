/**
 * The command table both the daemon (over the socket) and the CLI (locally, with no daemon)
 * run. A handler gets plain JSON args, the caller's identity and the byte channels.
 */
import { UserError } from '../common/index.js';
import {
  exportRecording,
  importWav,
  rebuildIndex,
  rotateKeys,
  searchRecordings,
  showRecording,
  verifyRecordings,
  type Actor,
  type Storage,
} from '../storage/index.js';
import { runRetention, setLegalHold, withdrawConsent } from '../retention/index.js';
import type { ControlHandler, ControlRequest } from './server.js';
import type { ActorInfo } from './protocol.js';
import { userHandlers } from './user-handlers.js';

function str(args: Record<string, unknown>, key: string): string | undefined {
  const v = args[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string')
    throw new UserError('CV_ERR_CLI_BAD_ARG', `--${key} must be text`, { context: { key } });
  return v;
}

function required(args: Record<string, unknown>, key: string): string {
  const v = str(args, key);
  if (v === undefined || v.length === 0)
    throw new UserError('CV_ERR_CLI_BAD_ARG', `${key} is required`, { context: { key } });
  return v;
}

/** Technicians on the appliance's shell act as the system administrator role. */
function cliActor(info: ActorInfo): Actor {
  return { name: `cli:${info.name}`, role: 'admin', from: info.from };
}

export function storageHandlers(storage: Storage): Map<string, ControlHandler> {
  const h = new Map<string, ControlHandler>();
  h.set('status', async () => ({
    pid: process.pid,
    storage: storage.config.storage.dir,
    activeRecordings: storage.activeWriters,
    startup: storage.startup,
  }));
  h.set('import', async (req: ControlRequest) => {
    if (req.upload === null) throw new UserError('CV_ERR_CLI_BAD_ARG', 'import needs a WAV file');
    return importWav(storage, cliActor(req.actor), req.upload, str(req.args, 'meta'));
  });
  h.set('export', async (req) =>
    exportRecording(
      storage,
      cliActor(req.actor),
      required(req.args, 'id'),
      str(req.args, 'reason') ?? 'technician export (no reason given)',
      req.download,
    ),
  );
  h.set('verify', async (req) => {
    const all = req.args['all'] === true;
    return verifyRecordings(storage, cliActor(req.actor), all ? 'all' : [required(req.args, 'id')]);
  });
  h.set('recordings.search', async (req) =>
    searchRecordings(storage, cliActor(req.actor), {
      number: str(req.args, 'number'),
      agent: str(req.args, 'agent'),
      service: str(req.args, 'service'),
      from: str(req.args, 'from'),
      to: str(req.args, 'to'),
    }),
  );
  h.set('recordings.show', async (req) => showRecording(storage, required(req.args, 'id')));
  h.set('keys.rotate', async (req) => rotateKeys(storage, cliActor(req.actor)));
  h.set('index.rebuild', async (req) => rebuildIndex(storage, cliActor(req.actor)));
  h.set('audit.verify', async () => storage.index.verifyAudit());
  h.set('audit.list', async (req) => storage.index.listAudit({ since: str(req.args, 'since') }));
  h.set('retention.run', async (req) => {
    const atRaw = str(req.args, 'at');
    const at = atRaw === undefined ? new Date() : new Date(atRaw);
    if (Number.isNaN(at.getTime()))
      throw new UserError('CV_ERR_CLI_BAD_ARG', '--at must be an ISO time', { context: { key: 'at' } });
    return runRetention(storage, cliActor(req.actor), { at, dryRun: req.args['dryRun'] === true });
  });
  h.set('hold.set', async (req) =>
    setLegalHold(storage, cliActor(req.actor), required(req.args, 'id'), true, required(req.args, 'reason')),
  );
  h.set('hold.release', async (req) =>
    setLegalHold(storage, cliActor(req.actor), required(req.args, 'id'), false, required(req.args, 'reason')),
  );
  h.set('consent.withdraw', async (req) =>
    withdrawConsent(storage, cliActor(req.actor), required(req.args, 'number'), required(req.args, 'reason')),
  );
  for (const [cmd, handler] of userHandlers(storage, (req) => cliActor(req.actor))) h.set(cmd, handler);
  return h;
}
