/**
 * callvaultctl — the technician's CLI (ARCHITECTURE ✦ Commands). Exit codes: 0 success,
 * 1 user error, 2 integrity failure, 3 internal error.
 */
import {
  EXIT_INTEGRITY,
  EXIT_OK,
  exitCodeFor,
  productVersion,
  type CallvaultError,
} from '../common/index.js';
import { loadConfig, exampleConfig, describeConfig } from '../config/index.js';
import { parseCommand, parseGlobal, takeTimeout, UsageError } from './args.js';

export { parseGlobal };
import { runStorageCommand } from './run-command.js';
import { stdio, table, seconds, json as toJson, inert, type Printer } from './output.js';
import {
  commandNames,
  helpFor,
  mistypedOption,
  renderOverview,
  unknownCommand,
  unknownSubcommand,
} from './help.js';
import { recordingsCommand } from './recordings.js';
import { exportTo } from './export-file.js';
import { statusCommand } from './status.js';
import { stderrProgress } from './progress.js';
import { placeTestCall } from './test-call.js';
import { usersCommand } from './users.js';
import { backup, restore } from './backup.js';
import { dsarCommand } from './dsar.js';
import { importFiles } from './import-files.js';
import { grantCommand } from './grants.js';
import { trainingCopyCommand } from './training.js';
import { printWithdrawal, type WithdrawOutcome } from './withdraw.js';

async function dispatch(argv: readonly string[], p: Printer): Promise<number> {
  const parsed = parseGlobal(argv);
  const { timeoutMs, rest: words } = takeTimeout(parsed.rest);
  const g = { ...parsed, rest: words };
  const call: typeof runStorageCommand = (c, cmd, args, opts = {}) =>
    runStorageCommand(c, cmd, args, { timeoutMs, ...opts });
  const [cmd, sub, ...more] = g.rest;
  if (cmd === '--version' || cmd === '-V') {
    p.out(`callvaultctl ${productVersion()}`);
    return EXIT_OK;
  }
  if (cmd === undefined) {
    p.err(renderOverview());
    return 1;
  }
  // Help needs no configuration (a technician may not have one yet) and wins over everything.
  const beforeDashes = g.rest.includes('--') ? g.rest.slice(0, g.rest.indexOf('--')) : g.rest;
  const asksHelp = beforeDashes.includes('--help') || beforeDashes.includes('-h');
  if (cmd === 'help' || asksHelp) {
    const words = beforeDashes.filter((w) => w !== '--help' && w !== '-h');
    // `help X` is `X --help`; `help --help` is the help of help.
    p.out(helpFor(cmd === 'help' ? (words.length === 1 && asksHelp ? words : words.slice(1)) : words));
    return EXIT_OK;
  }
  // Every command has its help entry (help-table.ts), so a word without one is a typo: said
  // before the configuration is read, whose own errors would hide it.
  // (A leading option such as --version is left to the switch.)
  if (!cmd.startsWith('-') && !commandNames().includes(cmd)) throw unknownCommand(cmd);
  const badSub = unknownSubcommand(cmd, sub);
  if (badSub !== null) throw badSub;
  const badOption = mistypedOption(cmd, sub, beforeDashes);
  if (badOption !== null) throw badOption;
  if (cmd === 'config' && sub === 'example') {
    p.out(exampleConfig());
    return EXIT_OK;
  }
  const config = loadConfig({ file: g.config, sets: g.sets });
  const rest = g.rest.slice(1);
  switch (cmd) {
    case 'config': {
      if (sub !== 'check') throw new UsageError('config check | config example');
      const { values } = parseCommand(rest.slice(1), { json: { type: 'boolean' } });
      if (values['json'] === true) p.out(toJson(describeConfig(config)));
      else p.out(`config OK: ${config.file} (policy ${config.policy.name})`);
      return EXIT_OK;
    }
    case 'status':
      return statusCommand(config, rest, p, call);
    case 'recordings':
      return recordingsCommand(config, sub, rest.slice(1), p, call);
    case 'import': {
      const { values, positionals } = parseCommand(rest, {
        meta: { type: 'string' },
        progress: { type: 'boolean' },
      });
      const onProgress =
        positionals.length > 1 ? stderrProgress('import', values['progress'] === true) : undefined;
      return importFiles(config, positionals, values['meta'] as string | undefined, p, call, onProgress);
    }
    case 'export': {
      const { values, positionals } = parseCommand(rest, {
        output: { type: 'string', short: 'o' },
        reason: { type: 'string' },
        force: { type: 'boolean' },
      });
      const id = positionals[0];
      const out = values['output'];
      if (id === undefined || typeof out !== 'string')
        throw new UsageError('export ID -o FILE.wav --reason TEXT [--force]');
      const reason = values['reason'] as string | undefined;
      await exportTo(config, id, out, { reason, force: values['force'] === true, timeoutMs }, p);
      return EXIT_OK;
    }
    case 'verify': {
      const { values, positionals } = parseCommand(rest, {
        all: { type: 'boolean' },
        json: { type: 'boolean' },
        progress: { type: 'boolean' },
      });
      const all = values['all'] === true;
      if (!all && positionals[0] === undefined) throw new UsageError('verify ID | verify --all');
      const onProgress = all ? stderrProgress('verify', values['progress'] === true) : undefined;
      const args = all ? { all: true, progress: onProgress !== undefined } : { id: positionals[0] };
      const { result } = await call(config, 'verify', args, { onProgress });
      const outcomes = result as {
        id: string;
        ok: boolean;
        inProgress?: boolean;
        digest?: string;
        code?: string;
        message?: string;
      }[];
      const line = (o: (typeof outcomes)[number]): string =>
        o.inProgress === true
          ? `${o.id} IN PROGRESS (still being written; not checked)`
          : o.ok
            ? `${o.id} OK sha256 ${o.digest}`
            : `${o.id} FAILED ${o.code}: ${o.message}`;
      if (values['json'] === true) p.out(toJson(outcomes));
      else for (const o of outcomes) p.out(inert(line(o)));
      const bad = outcomes.filter((o) => !o.ok).length;
      const running = outcomes.filter((o) => o.inProgress === true).length;
      p.err(`${outcomes.length - bad - running} verified, ${bad} failed, ${running} in progress`);
      return bad > 0 ? EXIT_INTEGRITY : EXIT_OK;
    }
    case 'keys': {
      if (sub !== 'rotate') throw new UsageError('keys rotate');
      const { result } = await call(config, 'keys.rotate', {});
      p.out(`master key rotated: new recordings use key id ${(result as { keyId: number }).keyId}`);
      return EXIT_OK;
    }
    case 'audit': {
      const { values } = parseCommand(rest.slice(1), {
        since: { type: 'string' },
        json: { type: 'boolean' },
      });
      if (sub === 'verify') {
        const { result } = await call(config, 'audit.verify', {});
        const r = result as { ok: boolean; entries?: number; firstBadSeq?: number; problem?: string };
        if (r.ok) {
          p.out(`audit chain OK (${r.entries} entries)`);
          return EXIT_OK;
        }
        p.out(`audit chain BROKEN at entry ${r.firstBadSeq}: ${r.problem}`);
        return EXIT_INTEGRITY;
      }
      if (sub === 'list') {
        const { result } = await call(config, 'audit.list', { since: values['since'] });
        const entries = result as {
          seq: number;
          ts: string;
          actor: string;
          role: string;
          action: string;
          recordingId?: string;
          reason?: string;
        }[];
        if (values['json'] === true) p.out(toJson(entries));
        else {
          p.out(
            table([
              ['SEQ', 'AT', 'ACTOR', 'ROLE', 'ACTION', 'RECORDING', 'REASON'],
              ...entries.map((e) => [
                String(e.seq),
                e.ts,
                e.actor,
                e.role,
                e.action,
                e.recordingId ?? '-',
                e.reason ?? '-',
              ]),
            ]),
          );
        }
        return EXIT_OK;
      }
      throw new UsageError('audit verify | audit list [--since T] [--json]');
    }
    case 'index': {
      if (sub !== 'rebuild') throw new UsageError('index rebuild');
      const { values } = parseCommand(rest.slice(1), { progress: { type: 'boolean' } });
      const onProgress = stderrProgress('index rebuild', values['progress'] === true);
      const { result } = await call(
        config,
        'index.rebuild',
        { progress: onProgress !== undefined },
        { storage: { resetIndex: true }, onProgress },
      );
      const r = result as {
        recordings: number;
        stateTampered?: string[];
        unreadable?: { id: string; code: string }[];
      };
      p.out(`index rebuilt from the vault: ${r.recordings} recording(s)`);
      // Indexed on hold and restricted; exit 2 so a scheduled rebuild alarms.
      for (const id of r.stateTampered ?? []) p.out(`STATE TAMPERED ${id} (kept on hold, restricted)`);
      for (const u of r.unreadable ?? []) p.out(`NOT INDEXED ${u.id} ${u.code}`);
      return (r.stateTampered ?? []).length + (r.unreadable ?? []).length > 0 ? EXIT_INTEGRITY : EXIT_OK;
    }
    case 'users':
      return usersCommand(config, sub, more, p, call);
    case 'retention': {
      if (sub !== 'run') throw new UsageError('retention run [--at ISO-TIME] [--dry-run]');
      const { values } = parseCommand(rest.slice(1), {
        at: { type: 'string' },
        'dry-run': { type: 'boolean' },
        force: { type: 'boolean' },
        json: { type: 'boolean' },
      });
      const dryRun = values['dry-run'] === true;
      const force = values['force'] === true;
      const { result } = await call(config, 'retention.run', { at: values['at'], dryRun, force });
      const r = result as {
        at: string;
        deleted: string[];
        anonymised: string[];
        keptOnHold: string[];
        failed: { id: string; code: string }[];
      };
      if (values['json'] === true) p.out(toJson(r));
      else {
        const verb = dryRun ? 'would delete' : 'deleted';
        for (const id of r.deleted) p.out(`${verb} ${id}`);
        for (const id of r.anonymised) p.out(`${dryRun ? 'would anonymise' : 'anonymised'} ${id}`);
        for (const id of r.keptOnHold) p.out(`kept (legal hold or restriction) ${id}`);
        for (const f of r.failed) p.out(`FAILED ${f.id} ${f.code}`);
        p.err(
          `retention as of ${r.at}: ${r.deleted.length} ${verb}, ${r.anonymised.length} anonymised, ${r.keptOnHold.length} kept on hold, ${r.failed.length} failed`,
        );
      }
      return r.failed.length > 0 ? 3 : EXIT_OK;
    }
    case 'hold': {
      const { values, positionals } = parseCommand(rest.slice(1), { reason: { type: 'string' } });
      const id = positionals[0];
      if ((sub !== 'set' && sub !== 'release') || id === undefined || typeof values['reason'] !== 'string')
        throw new UsageError('hold set|release ID --reason TEXT');
      await call(config, sub === 'set' ? 'hold.set' : 'hold.release', {
        id,
        reason: values['reason'],
      });
      p.out(`legal hold ${sub === 'set' ? 'set on' : 'released from'} ${id}`);
      return EXIT_OK;
    }
    case 'consent': {
      const { values, positionals } = parseCommand(rest.slice(1), { reason: { type: 'string' } });
      const number = positionals[0];
      if (sub !== 'withdraw' || number === undefined || typeof values['reason'] !== 'string')
        throw new UsageError('consent withdraw NUMBER --reason TEXT');
      const { result } = await call(config, 'consent.withdraw', {
        number,
        reason: values['reason'],
      });
      printWithdrawal(p, result as WithdrawOutcome);
      return EXIT_OK;
    }
    case 'dsar':
      return dsarCommand(config, sub, rest.slice(1), p, timeoutMs);
    case 'grant':
      return grantCommand(config, sub, rest.slice(1), p, call);
    case 'training-copy':
      return trainingCopyCommand(config, rest, p, call);
    case 'restrict': {
      const { values, positionals } = parseCommand(rest.slice(1), { reason: { type: 'string' } });
      const id = positionals[0];
      if ((sub !== 'set' && sub !== 'release') || id === undefined || typeof values['reason'] !== 'string')
        throw new UsageError('restrict set|release ID --reason TEXT');
      await runStorageCommand(config, sub === 'set' ? 'restrict.set' : 'restrict.release', {
        id,
        reason: values['reason'],
      });
      p.out(`restriction ${sub === 'set' ? 'set on' : 'released from'} ${id}`);
      return EXIT_OK;
    }
    case 'case': {
      const { values, positionals } = parseCommand(rest.slice(1), { at: { type: 'string' } });
      const usage = 'case link ID CASE-ID | case close CASE-ID [--at ISO-TIME] | case reopen CASE-ID';
      if (sub === 'link') {
        const [id, caseId] = positionals;
        if (id === undefined || caseId === undefined) throw new UsageError(usage);
        await runStorageCommand(config, 'case.link', { id, caseId });
        p.out(`${id} linked to its case`);
        return EXIT_OK;
      }
      const caseId = positionals[0];
      if ((sub !== 'close' && sub !== 'reopen') || caseId === undefined) throw new UsageError(usage);
      const { result } = await runStorageCommand(config, sub === 'close' ? 'case.close' : 'case.reopen', {
        caseId,
        at: values['at'],
      });
      const n = (result as { recordings: string[] }).recordings.length;
      p.out(`case ${sub === 'close' ? 'closed' : 'reopened'}: ${n} recording(s)`);
      return EXIT_OK;
    }
    case 'erase': {
      const { values, positionals } = parseCommand(rest, { reason: { type: 'string' } });
      const id = positionals[0];
      if (id === undefined || typeof values['reason'] !== 'string')
        throw new UsageError('erase ID --reason TEXT');
      await call(config, 'erase', { id, reason: values['reason'] });
      p.out(`erased ${id}`);
      return EXIT_OK;
    }
    case 'rectify': {
      const usage = 'rectify ID --reason TEXT --field NAME=VALUE [--field NAME=VALUE ...]';
      const { values, positionals } = parseCommand(rest, {
        reason: { type: 'string' },
        field: { type: 'string', multiple: true },
      });
      const id = positionals[0];
      const pairs = (values['field'] as unknown as string[] | undefined) ?? [];
      if (id === undefined || typeof values['reason'] !== 'string' || pairs.length === 0)
        throw new UsageError(usage);
      const fields: Record<string, string | null> = {};
      for (const pair of pairs) {
        const eq = pair.indexOf('=');
        if (eq < 1) throw new UsageError(`--field ${pair}: NAME=VALUE (empty VALUE removes it)\n${usage}`);
        fields[pair.slice(0, eq)] = pair.slice(eq + 1) === '' ? null : pair.slice(eq + 1);
      }
      const { result } = await call(config, 'rectify', { id, reason: values['reason'], fields });
      p.out(`rectified ${id}: ${(result as { fields: string[] }).fields.join(', ')}`);
      return EXIT_OK;
    }
    case 'test-call': {
      const { values } = parseCommand(rest, {
        seconds: { type: 'string' },
        transport: { type: 'string' },
        'from-address': { type: 'string' },
      });
      const secs = values['seconds'] === undefined ? 5 : Number(values['seconds']);
      if (!Number.isInteger(secs) || secs < 1 || secs > 600) throw new UsageError('--seconds must be 1-600');
      const transport = values['transport'];
      if (transport !== undefined && transport !== 'udp' && transport !== 'tcp' && transport !== 'tls')
        throw new UsageError('--transport must be udp, tcp or tls');
      const fromAddress = values['from-address'] as string | undefined;
      p.err(`placing a ${secs} s SIPREC test call (caller 440 Hz, agent 1000 Hz)…`);
      const r = await placeTestCall(config, { seconds: secs, transport, fromAddress });
      p.out(
        `${r.ok ? 'OK' : 'FAILED'}: recorded as ${r.recordingId}, ${seconds(r.durationMs)} of ${seconds(r.sentMs)} sent; ` +
          `left ${r.leftHz} Hz (caller, expected 440), right ${r.rightHz} Hz (agent, expected 1000)`,
      );
      return r.ok ? EXIT_OK : EXIT_INTEGRITY;
    }
    case 'backup': {
      const { values } = parseCommand(rest, { output: { type: 'string', short: 'o' } });
      if (typeof values['output'] !== 'string') throw new UsageError('backup -o FILE');
      const r = backup(config, values['output']);
      p.out(`backup written to ${r.file}: ${r.parts.join(', ')} (recordings stay in ${config.storage.dir})`);
      return EXIT_OK;
    }
    case 'restore': {
      const { positionals } = parseCommand(rest, {});
      if (positionals[0] === undefined) throw new UsageError('restore FILE');
      const r = restore(config, positionals[0]);
      for (const path of r.restored) p.out(`restored ${path}`);
      for (const path of r.movedAside) p.out(`moved aside ${path}`);
      p.out(`backed-up config (${r.createdAt}) written to ${r.config}: compare it with ${config.file}`);
      return EXIT_OK;
    }
    default:
      if (cmd.startsWith('-'))
        throw new UsageError(`unknown option ${cmd}; callvaultctl help lists the commands`);
      // In the help table but not (yet) dispatched here.
      throw new UsageError(`${cmd} is not available in this version of callvaultctl`);
  }
}

export async function runCtl(argv: readonly string[], printer: Printer = stdio): Promise<number> {
  // Exports, and the storage when no daemon runs, are created owner-only whatever the shell's umask.
  // Put back afterwards: an in-process caller (tests) keeps its own.
  const previousUmask = process.umask(0o077);
  try {
    return await dispatch(argv, printer);
  } catch (err) {
    const e = err as CallvaultError;
    printer.err(`callvaultctl: ${inert(e.message ?? String(err))}${e.code ? ` [${inert(e.code)}]` : ''}`);
    return exitCodeFor(err);
  } finally {
    process.umask(previousUmask);
  }
}
