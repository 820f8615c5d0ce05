/**
 * callvaultctl — the technician's CLI (ARCHITECTURE ✦ Commands). Exit codes: 0 success,
 * 1 user error, 2 integrity failure, 3 internal error.
 */
import { readFileSync, openSync, writeSync, closeSync, renameSync, unlinkSync } from 'node:fs';
import { EXIT_INTEGRITY, EXIT_OK, exitCodeFor, type CallvaultError } from '../common/index.js';
import { loadConfig, exampleConfig, describeConfig, type Config } from '../config/index.js';
import { parseCommand, parseGlobal, takeTimeout, UsageError } from './args.js';

export { parseGlobal };
import { runStorageCommand } from './run-command.js';
import { stdio, table, seconds, json as toJson, inert, type Printer } from './output.js';
import { placeTestCall } from './test-call.js';
import { usersCommand } from './users.js';
import { dsarCommand } from './dsar.js';

const USAGE = `usage: callvaultctl [--config FILE] [--set key.path=value ...] [--timeout SECONDS] <command>
commands:
  config check | config example
  status
  recordings list [--json] | recordings search [--number N] [--agent A] [--service S] [--from T] [--to T] [--json]
  recordings show ID [--json]
  import FILE.wav [--meta JSON]
  export ID -o FILE.wav --reason TEXT   (a restricted recording is refused)
  verify ID | verify --all
  keys rotate
  audit verify | audit list [--since T] [--json]
  index rebuild
  users add NAME --role agent|supervisor|admin|qa|dpo [--agent ID] --password-stdin
  users list [--json] | users disable|enable|remove NAME | users passwd NAME --password-stdin
  users totp NAME [--off]   TOTP second factor (admin, dpo): prints the otpauth URI once
  retention run [--at ISO-TIME] [--dry-run]
  hold set|release ID --reason TEXT
  consent withdraw NUMBER --reason TEXT
  dsar export NUMBER -o FILE.tar --reason TEXT   (the data subject's recordings and manifest)
  restrict set|release ID --reason TEXT
  case link ID CASE-ID | case close CASE-ID [--at ISO-TIME] | case reopen CASE-ID
  test-call [--seconds N]   place a SIPREC call at this appliance and check its recording`;

interface Summary {
  id: string;
  startedAt: string;
  durationMs: number;
  direction: string;
  service: string | null;
  agent: string | null;
  number: string | null;
  state: string;
  flags: readonly string[];
}

function printRecordings(p: Printer, items: readonly Summary[], json: boolean): void {
  if (json) {
    p.out(toJson(items));
    return;
  }
  const rows = [['ID', 'STARTED', 'LENGTH', 'DIR', 'SERVICE', 'AGENT', 'NUMBER', 'STATE']];
  for (const r of items) {
    rows.push([
      r.id,
      r.startedAt,
      seconds(r.durationMs),
      r.direction,
      r.service ?? '-',
      r.agent ?? '-',
      r.number ?? '-',
      [r.state, ...r.flags.filter((f) => f !== r.state)].join(','),
    ]);
  }
  p.out(table(rows));
  p.out(`${items.length} recording(s)`);
}

async function exportTo(
  config: Config,
  id: string,
  out: string,
  reason: string | undefined,
  p: Printer,
  timeoutMs: number | undefined,
): Promise<void> {
  // Written under a temporary name and renamed at the end, so a failed (tampered) export never
  // leaves a half file that looks like a good recording.
  const tmp = `${out}.partial-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o600);
  let ok = false;
  try {
    const { result } = await runStorageCommand(
      config,
      'export',
      { id, reason },
      {
        timeoutMs,
        onDownload: (chunk) => {
          writeSync(fd, chunk);
        },
      },
    );
    closeSync(fd);
    renameSync(tmp, out);
    ok = true;
    const r = result as { bytes: number; digest: string | null };
    p.out(`exported ${id} to ${out} (${r.bytes} bytes, sha256 ${r.digest ?? 'n/a'})`);
  } finally {
    if (!ok) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
      try {
        unlinkSync(tmp);
      } catch {
        // nothing written
      }
    }
  }
}

async function dispatch(argv: readonly string[], p: Printer): Promise<number> {
  const parsed = parseGlobal(argv);
  const { timeoutMs, rest: words } = takeTimeout(parsed.rest);
  const g = { ...parsed, rest: words };
  const call: typeof runStorageCommand = (c, cmd, args, opts = {}) =>
    runStorageCommand(c, cmd, args, { timeoutMs, ...opts });
  const [cmd, sub, ...more] = g.rest;
  if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    p.out(USAGE);
    return cmd === undefined ? 1 : 0;
  }
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
    case 'status': {
      const { result, via } = await call(config, 'status', {});
      p.out(toJson({ via, ...(result as object) }));
      return EXIT_OK;
    }
    case 'recordings': {
      const { values, positionals } = parseCommand(rest.slice(1), {
        json: { type: 'boolean' },
        number: { type: 'string' },
        agent: { type: 'string' },
        service: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
      });
      const json = values['json'] === true;
      if (sub === 'list' || sub === 'search') {
        const args =
          sub === 'list'
            ? {}
            : {
                number: values['number'],
                agent: values['agent'],
                service: values['service'],
                from: values['from'],
                to: values['to'],
              };
        const { result } = await call(config, 'recordings.search', args);
        printRecordings(p, result as Summary[], json);
        return EXIT_OK;
      }
      if (sub === 'show') {
        const id = positionals[0];
        if (id === undefined) throw new UsageError('recordings show ID');
        const { result } = await call(config, 'recordings.show', { id });
        p.out(toJson(result));
        return EXIT_OK;
      }
      throw new UsageError('recordings list|search|show');
    }
    case 'import': {
      const { values, positionals } = parseCommand(rest, { meta: { type: 'string' } });
      const file = positionals[0];
      if (file === undefined) throw new UsageError('import FILE.wav [--meta JSON]');
      if (/\.pcapng?$/i.test(file))
        throw new UsageError('pcap import is not available yet: only WAV files can be imported');
      let wav: Buffer;
      try {
        wav = readFileSync(file);
      } catch (err) {
        throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }
      const { result } = await call(config, 'import', { meta: values['meta'] }, { upload: wav });
      const r = result as { id: string; durationMs: number };
      p.out(r.id);
      p.err(`imported ${file} as ${r.id} (${seconds(r.durationMs)})`);
      return EXIT_OK;
    }
    case 'export': {
      const { values, positionals } = parseCommand(rest, {
        output: { type: 'string', short: 'o' },
        reason: { type: 'string' },
      });
      const id = positionals[0];
      const out = values['output'];
      if (id === undefined || typeof out !== 'string')
        throw new UsageError('export ID -o FILE.wav --reason TEXT');
      await exportTo(config, id, out, values['reason'] as string | undefined, p, timeoutMs);
      return EXIT_OK;
    }
    case 'verify': {
      const { values, positionals } = parseCommand(rest, {
        all: { type: 'boolean' },
        json: { type: 'boolean' },
      });
      const all = values['all'] === true;
      if (!all && positionals[0] === undefined) throw new UsageError('verify ID | verify --all');
      const { result } = await call(config, 'verify', all ? { all: true } : { id: positionals[0] });
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
      const { result } = await call(config, 'index.rebuild', {}, { storage: { resetIndex: true } });
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
      return usersCommand(config, sub, more, p);
    case 'retention': {
      if (sub !== 'run') throw new UsageError('retention run [--at ISO-TIME] [--dry-run]');
      const { values } = parseCommand(rest.slice(1), {
        at: { type: 'string' },
        'dry-run': { type: 'boolean' },
        json: { type: 'boolean' },
      });
      const dryRun = values['dry-run'] === true;
      const { result } = await call(config, 'retention.run', { at: values['at'], dryRun });
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
      const r = result as { erased: string[]; keptOnHold: string[] };
      for (const id of r.erased) p.out(`erased ${id}`);
      for (const id of r.keptOnHold) p.out(`kept (legal hold) ${id}`);
      p.err(
        `consent withdrawn: ${r.erased.length} recording(s) erased, ${r.keptOnHold.length} kept on legal hold`,
      );
      return EXIT_OK;
    }
    case 'dsar':
      return dsarCommand(config, sub, rest.slice(1), p, timeoutMs);
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
    case 'test-call': {
      const { values } = parseCommand(rest, { seconds: { type: 'string' } });
      const secs = values['seconds'] === undefined ? 5 : Number(values['seconds']);
      if (!Number.isInteger(secs) || secs < 1 || secs > 600) throw new UsageError('--seconds must be 1-600');
      p.err(`placing a ${secs} s SIPREC test call (caller 440 Hz, agent 1000 Hz)…`);
      const r = await placeTestCall(config, { seconds: secs });
      p.out(
        `${r.ok ? 'OK' : 'FAILED'}: recorded as ${r.recordingId}, ${seconds(r.durationMs)} of ${seconds(r.sentMs)} sent; ` +
          `left ${r.leftHz} Hz (caller, expected 440), right ${r.rightHz} Hz (agent, expected 1000)`,
      );
      return r.ok ? EXIT_OK : EXIT_INTEGRITY;
    }
    default:
      throw new UsageError(`unknown command ${cmd}\n${USAGE}`);
  }
}

export async function runCtl(argv: readonly string[], printer: Printer = stdio): Promise<number> {
  // Exports, and the storage when no daemon runs, are created owner-only whatever the shell's umask.
  process.umask(0o077);
  try {
    return await dispatch(argv, printer);
  } catch (err) {
    const e = err as CallvaultError;
    printer.err(`callvaultctl: ${inert(e.message ?? String(err))}${e.code ? ` [${inert(e.code)}]` : ''}`);
    return exitCodeFor(err);
  }
}
