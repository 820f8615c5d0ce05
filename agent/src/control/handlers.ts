/**
 * The command table both the daemon (over the socket) and the CLI (locally, with no daemon)
 * run. A handler gets plain JSON args, the caller's identity and the byte channels.
 */
import { parseSubjectNumber, productVersion, UserError, visibleLength } from '../common/index.js';
import type { Config } from '../config/index.js';
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
import {
  dsarExport,
  linkCase,
  runRetention,
  setCaseState,
  setLegalHold,
  setRestriction,
  withdrawConsent,
} from '../retention/index.js';
import type { ControlHandler, ControlRequest } from './server.js';
import type { ActorInfo } from './protocol.js';
import type { ControlHandlers } from './commands.js';
import { ReasonRequiredError, RecordingRestrictedError } from './errors.js';
import { userHandlers } from './user-handlers.js';
import { dpoHandlers } from './dpo-handlers.js';
import { grantHandlers } from './grant-handlers.js';

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

function limitArg(args: Record<string, unknown>): number | undefined {
  const v = args['limit'];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    throw new UserError('CV_ERR_CLI_BAD_ARG', '--limit must be a whole number ≥ 1', {
      context: { key: 'limit' },
    });
  return v;
}

/** The configured listeners, for `status` (port 0 in tests means "chosen by the OS"). */
function listenersOf(config: Config): Record<string, string> {
  const at = (a: { host: string; port: number } | null): string | null =>
    a === null ? null : `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
  const out: Record<string, string> = {};
  const add = (name: string, v: string | null): void => {
    if (v !== null) out[name] = v;
  };
  add('sip udp', at(config.sip.udp));
  add('sip tcp', at(config.sip.tcp));
  add('sip tls', at(config.sip.tls));
  add('rtp', `${config.media.rtp_ports.low}-${config.media.rtp_ports.high}`);
  add('api', at(config.api.listen));
  add('metrics', at(config.metrics.listen));
  return out;
}

/** The reason rule of the API (MIN_REASON_LENGTH there): a ticket number will do, nothing will not. */
export const MIN_REASON_VISIBLE = 5;
export const MAX_REASON_LENGTH = 500;

function requiredReason(args: Record<string, unknown>): string {
  const reason = (str(args, 'reason') ?? '').trim();
  if (visibleLength(reason) < MIN_REASON_VISIBLE) throw new ReasonRequiredError(MIN_REASON_VISIBLE);
  return reason.slice(0, MAX_REASON_LENGTH);
}

/**
 * Technicians on the appliance's shell act as the system administrator role. `info.name` is the
 * OS identity the control server read from the kernel (or this process's own, with no daemon).
 */
function cliActor(info: ActorInfo): Actor {
  return { name: info.name, role: 'admin', from: info.from };
}

/** The typed command table (ControlCommands): one handler per command, checked by the compiler. */
export function controlHandlers(storage: Storage): ControlHandlers {
  const actorOf = (req: ControlRequest): Actor => cliActor(req.actor);
  return {
    status: async () => ({
      pid: process.pid,
      uptimeS: Math.round(process.uptime()),
      version: productVersion(),
      listeners: listenersOf(storage.config),
      storage: storage.config.storage.dir,
      activeRecordings: storage.activeWriters,
      startup: storage.startup,
    }),
    import: async (req: ControlRequest) => {
      if (req.upload === null) throw new UserError('CV_ERR_CLI_BAD_ARG', 'import needs a WAV file');
      return importWav(storage, cliActor(req.actor), req.upload, str(req.args, 'meta'));
    },
    export: async (req) => {
      const id = required(req.args, 'id');
      const reason = requiredReason(req.args);
      if ((await storage.index.getRecording(id))?.restricted === true) throw new RecordingRestrictedError(id);
      return exportRecording(storage, cliActor(req.actor), id, reason, req.download);
    },
    verify: async (req) => {
      const all = req.args['all'] === true;
      const ids = all ? 'all' : [required(req.args, 'id')];
      return verifyRecordings(storage, cliActor(req.actor), ids, req.progress);
    },
    'recordings.search': async (req) =>
      searchRecordings(storage, cliActor(req.actor), {
        number: str(req.args, 'number'),
        agent: str(req.args, 'agent'),
        service: str(req.args, 'service'),
        from: str(req.args, 'from'),
        to: str(req.args, 'to'),
        caseId: str(req.args, 'caseId') ?? str(req.args, 'case'),
        flag: str(req.args, 'flag'),
        minMos: typeof req.args['minMos'] === 'number' ? req.args['minMos'] : undefined,
        maxMos: typeof req.args['maxMos'] === 'number' ? req.args['maxMos'] : undefined,
        limit: limitArg(req.args),
      }),
    'recordings.show': async (req) => showRecording(storage, required(req.args, 'id')),
    'keys.rotate': async (req) => rotateKeys(storage, cliActor(req.actor)),
    'index.rebuild': async (req) => rebuildIndex(storage, cliActor(req.actor), req.progress),
    'audit.verify': async () => storage.index.verifyAudit(),
    'audit.list': async (req) => storage.index.listAudit({ since: str(req.args, 'since') }),
    'retention.run': async (req) => {
      const atRaw = str(req.args, 'at');
      const at = atRaw === undefined ? new Date() : new Date(atRaw);
      if (Number.isNaN(at.getTime()))
        throw new UserError('CV_ERR_CLI_BAD_ARG', '--at must be an ISO time', { context: { key: 'at' } });
      return runRetention(storage, cliActor(req.actor), {
        at,
        dryRun: req.args['dryRun'] === true,
        force: req.args['force'] === true,
      });
    },
    'hold.set': async (req) =>
      setLegalHold(storage, cliActor(req.actor), required(req.args, 'id'), true, requiredReason(req.args)),
    'hold.release': async (req) =>
      setLegalHold(storage, cliActor(req.actor), required(req.args, 'id'), false, requiredReason(req.args)),
    'restrict.set': async (req) =>
      setRestriction(
        storage,
        cliActor(req.actor),
        required(req.args, 'id'),
        true,
        required(req.args, 'reason'),
      ),
    'restrict.release': async (req) =>
      setRestriction(
        storage,
        cliActor(req.actor),
        required(req.args, 'id'),
        false,
        required(req.args, 'reason'),
      ),
    'case.link': async (req) =>
      linkCase(storage, cliActor(req.actor), required(req.args, 'id'), required(req.args, 'caseId')),
    'case.close': async (req) => {
      const atRaw = str(req.args, 'at');
      const at = atRaw === undefined ? new Date() : new Date(atRaw);
      if (Number.isNaN(at.getTime()))
        throw new UserError('CV_ERR_CLI_BAD_ARG', '--at must be an ISO time', { context: { key: 'at' } });
      return setCaseState(storage, cliActor(req.actor), required(req.args, 'caseId'), at);
    },
    'case.reopen': async (req) =>
      setCaseState(storage, cliActor(req.actor), required(req.args, 'caseId'), null),
    // Read as E.164 here, so a malformed number is refused with its code and the audit entry's
    // blind token is that of the subject's number, whatever spelling was typed.
    'consent.withdraw': async (req) =>
      withdrawConsent(
        storage,
        cliActor(req.actor),
        parseSubjectNumber(required(req.args, 'number'), {
          defaultCountry: storage.config.sip.default_country,
        }),
        requiredReason(req.args),
      ),
    'dsar.export': async (req) =>
      dsarExport(
        storage,
        cliActor(req.actor),
        required(req.args, 'number'),
        requiredReason(req.args),
        req.download,
      ),
    ...userHandlers(storage, actorOf),
    ...dpoHandlers(storage, actorOf),
    ...grantHandlers(storage, actorOf),
  };
}

/** The same table keyed by wire name, as the control server looks commands up. */
export function storageHandlers(storage: Storage): Map<string, ControlHandler> {
  return new Map(Object.entries(controlHandlers(storage)));
}
