/**
 * The command table both the daemon (over the socket) and the CLI (locally, with no daemon)
 * run. A handler gets plain JSON args, the caller's identity and the byte channels.
 */
import { parseSubjectNumber, productVersion, UserError } from '../common/index.js';
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
import type { ControlHandlers, ResultOf } from './commands.js';
import { RecordingRestrictedError } from './errors.js';
import { required, requiredReason, text } from './args.js';
import { userHandlers } from './user-handlers.js';
import { dpoHandlers } from './dpo-handlers.js';
import { grantHandlers } from './grant-handlers.js';

function limitArg(args: Record<string, unknown>): number | undefined {
  const v = args['limit'];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    throw new UserError('CV_ERR_CLI_BAD_ARG', '--limit must be a whole number ≥ 1', {
      context: { key: 'limit' },
    });
  return v;
}

/** `--at`: an ISO time, now when not given. */
function atArg(args: Record<string, unknown>): Date {
  const atRaw = text(args, 'at');
  const at = atRaw === undefined ? new Date() : new Date(atRaw);
  if (Number.isNaN(at.getTime()))
    throw new UserError('CV_ERR_CLI_BAD_ARG', '--at must be an ISO time', { context: { key: 'at' } });
  return at;
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

/**
 * Technicians on the appliance's shell act as the system administrator role. `info.name` is the
 * OS identity the control server read from the kernel (or this process's own, with no daemon).
 */
function cliActor(info: ActorInfo): Actor {
  return { name: info.name, role: 'admin', from: info.from };
}

/** hold.set/release and restrict.set/release: the recording's id, the flag's new value and a reason. */
function flagHandler(
  storage: Storage,
  set: typeof setLegalHold | typeof setRestriction,
  on: boolean,
  reasonOf: (args: Record<string, unknown>) => string,
): (req: ControlRequest) => Promise<ResultOf<'hold.set'>> {
  return async (req) => set(storage, cliActor(req.actor), required(req.args, 'id'), on, reasonOf(req.args));
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
      return importWav(storage, cliActor(req.actor), req.upload, text(req.args, 'meta'));
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
        number: text(req.args, 'number'),
        agent: text(req.args, 'agent'),
        service: text(req.args, 'service'),
        from: text(req.args, 'from'),
        to: text(req.args, 'to'),
        caseId: text(req.args, 'caseId') ?? text(req.args, 'case'),
        flag: text(req.args, 'flag'),
        minMos: typeof req.args['minMos'] === 'number' ? req.args['minMos'] : undefined,
        maxMos: typeof req.args['maxMos'] === 'number' ? req.args['maxMos'] : undefined,
        limit: limitArg(req.args),
      }),
    'recordings.show': async (req) => showRecording(storage, required(req.args, 'id')),
    'keys.rotate': async (req) => rotateKeys(storage, cliActor(req.actor)),
    'index.rebuild': async (req) => rebuildIndex(storage, cliActor(req.actor), req.progress),
    'audit.verify': async () => storage.index.verifyAudit(),
    'audit.list': async (req) => storage.index.listAudit({ since: text(req.args, 'since') }),
    'retention.run': async (req) =>
      runRetention(storage, cliActor(req.actor), {
        at: atArg(req.args),
        dryRun: req.args['dryRun'] === true,
        force: req.args['force'] === true,
      }),
    'hold.set': flagHandler(storage, setLegalHold, true, requiredReason),
    'hold.release': flagHandler(storage, setLegalHold, false, requiredReason),
    // restrict reads its reason as any non-empty text; hold applies the 5-visible-character rule.
    'restrict.set': flagHandler(storage, setRestriction, true, (args) => required(args, 'reason')),
    'restrict.release': flagHandler(storage, setRestriction, false, (args) => required(args, 'reason')),
    'case.link': async (req) =>
      linkCase(storage, cliActor(req.actor), required(req.args, 'id'), required(req.args, 'caseId')),
    'case.close': async (req) => {
      const at = atArg(req.args);
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
