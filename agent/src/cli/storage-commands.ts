/**
 * The callvaultctl commands that are one control command and a printout: verify, keys, audit,
 * index, retention, hold, consent, restrict, case, erase, rectify. Results are typed by
 * ControlCommands (control/commands.ts), so nothing here casts what the daemon answered.
 */
import { EXIT_INTEGRITY, EXIT_OK } from '../common/index.js';
import { parseCommand, UsageError } from './args.js';
import { table, json as toJson, inert } from './output.js';
import { stderrProgress } from './progress.js';
import { printWithdrawal } from './withdraw.js';
import type { CliCommand } from './context.js';

export const verifyCommand: CliCommand = async ({ config, rest, p, call }) => {
  const { values, positionals } = parseCommand(rest, {
    all: { type: 'boolean' },
    json: { type: 'boolean' },
    progress: { type: 'boolean' },
  });
  const all = values['all'] === true;
  const id = positionals[0];
  if (!all && id === undefined) throw new UsageError('verify ID | verify --all');
  const onProgress = all ? stderrProgress('verify', values['progress'] === true) : undefined;
  const args = all || id === undefined ? { all: true as const, progress: onProgress !== undefined } : { id };
  const { result: outcomes } = await call(config, 'verify', args, { onProgress });
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
};

export const keysCommand: CliCommand = async ({ config, sub, p, call }) => {
  if (sub !== 'rotate') throw new UsageError('keys rotate');
  const { result } = await call(config, 'keys.rotate', {});
  p.out(`master key rotated: new recordings use key id ${result.keyId}`);
  return EXIT_OK;
};

export const auditCommand: CliCommand = async ({ config, sub, more, p, call }) => {
  const { values } = parseCommand(more, {
    since: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (sub === 'verify') {
    const { result: r } = await call(config, 'audit.verify', {});
    if (r.ok) {
      p.out(`audit chain OK (${r.entries} entries)`);
      return EXIT_OK;
    }
    p.out(`audit chain BROKEN at entry ${r.firstBadSeq}: ${r.problem}`);
    return EXIT_INTEGRITY;
  }
  if (sub === 'list') {
    const { result: entries } = await call(config, 'audit.list', { since: values['since'] });
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
};

export const indexCommand: CliCommand = async ({ config, sub, more, p, call }) => {
  if (sub !== 'rebuild') throw new UsageError('index rebuild');
  const { values } = parseCommand(more, { progress: { type: 'boolean' } });
  const onProgress = stderrProgress('index rebuild', values['progress'] === true);
  const { result: r } = await call(
    config,
    'index.rebuild',
    { progress: onProgress !== undefined },
    { storage: { resetIndex: true }, onProgress },
  );
  p.out(`index rebuilt from the vault: ${r.recordings} recording(s)`);
  // Indexed on hold and restricted; exit 2 so a scheduled rebuild alarms.
  for (const id of r.stateTampered ?? []) p.out(`STATE TAMPERED ${id} (kept on hold, restricted)`);
  for (const u of r.unreadable ?? []) p.out(`NOT INDEXED ${u.id} ${u.code}`);
  return (r.stateTampered ?? []).length + (r.unreadable ?? []).length > 0 ? EXIT_INTEGRITY : EXIT_OK;
};

export const retentionCommand: CliCommand = async ({ config, sub, more, p, call }) => {
  if (sub !== 'run') throw new UsageError('retention run [--at ISO-TIME] [--dry-run]');
  const { values } = parseCommand(more, {
    at: { type: 'string' },
    'dry-run': { type: 'boolean' },
    force: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const dryRun = values['dry-run'] === true;
  const force = values['force'] === true;
  const { result: r } = await call(config, 'retention.run', { at: values['at'], dryRun, force });
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
};

export const holdCommand: CliCommand = async ({ config, sub, more, p, call }) => {
  const { values, positionals } = parseCommand(more, { reason: { type: 'string' } });
  const id = positionals[0];
  const reason = values['reason'];
  if ((sub !== 'set' && sub !== 'release') || id === undefined || typeof reason !== 'string')
    throw new UsageError('hold set|release ID --reason TEXT');
  await call(config, sub === 'set' ? 'hold.set' : 'hold.release', { id, reason });
  p.out(`legal hold ${sub === 'set' ? 'set on' : 'released from'} ${id}`);
  return EXIT_OK;
};

export const consentCommand: CliCommand = async ({ config, sub, more, p, call }) => {
  const { values, positionals } = parseCommand(more, { reason: { type: 'string' } });
  const number = positionals[0];
  const reason = values['reason'];
  if (sub !== 'withdraw' || number === undefined || typeof reason !== 'string')
    throw new UsageError('consent withdraw NUMBER --reason TEXT');
  const { result } = await call(config, 'consent.withdraw', { number, reason });
  printWithdrawal(p, result);
  return EXIT_OK;
};

export const restrictCommand: CliCommand = async ({ config, sub, more, p, call }) => {
  const { values, positionals } = parseCommand(more, { reason: { type: 'string' } });
  const id = positionals[0];
  const reason = values['reason'];
  if ((sub !== 'set' && sub !== 'release') || id === undefined || typeof reason !== 'string')
    throw new UsageError('restrict set|release ID --reason TEXT');
  await call(config, sub === 'set' ? 'restrict.set' : 'restrict.release', { id, reason });
  p.out(`restriction ${sub === 'set' ? 'set on' : 'released from'} ${id}`);
  return EXIT_OK;
};

export const caseCommand: CliCommand = async ({ config, sub, more, p, call }) => {
  const { values, positionals } = parseCommand(more, { at: { type: 'string' } });
  const usage = 'case link ID CASE-ID | case close CASE-ID [--at ISO-TIME] | case reopen CASE-ID';
  if (sub === 'link') {
    const [id, caseId] = positionals;
    if (id === undefined || caseId === undefined) throw new UsageError(usage);
    await call(config, 'case.link', { id, caseId });
    p.out(`${id} linked to its case`);
    return EXIT_OK;
  }
  const caseId = positionals[0];
  if ((sub !== 'close' && sub !== 'reopen') || caseId === undefined) throw new UsageError(usage);
  const { result } = await call(config, sub === 'close' ? 'case.close' : 'case.reopen', {
    caseId,
    at: values['at'],
  });
  p.out(`case ${sub === 'close' ? 'closed' : 'reopened'}: ${result.recordings.length} recording(s)`);
  return EXIT_OK;
};

export const eraseCommand: CliCommand = async ({ config, rest, p, call }) => {
  const { values, positionals } = parseCommand(rest, { reason: { type: 'string' } });
  const id = positionals[0];
  const reason = values['reason'];
  if (id === undefined || typeof reason !== 'string') throw new UsageError('erase ID --reason TEXT');
  await call(config, 'erase', { id, reason });
  p.out(`erased ${id}`);
  return EXIT_OK;
};

export const rectifyCommand: CliCommand = async ({ config, rest, p, call }) => {
  const usage = 'rectify ID --reason TEXT --field NAME=VALUE [--field NAME=VALUE ...]';
  const { values, positionals } = parseCommand(rest, {
    reason: { type: 'string' },
    field: { type: 'string', multiple: true },
  });
  const id = positionals[0];
  const reason = values['reason'];
  const pairs = values['field'] ?? [];
  if (id === undefined || typeof reason !== 'string' || pairs.length === 0) throw new UsageError(usage);
  const fields: Record<string, string | null> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new UsageError(`--field ${pair}: NAME=VALUE (empty VALUE removes it)\n${usage}`);
    fields[pair.slice(0, eq)] = pair.slice(eq + 1) === '' ? null : pair.slice(eq + 1);
  }
  const { result } = await call(config, 'rectify', { id, reason, fields });
  p.out(`rectified ${id}: ${result.fields.join(', ')}`);
  return EXIT_OK;
};
