/**
 * callvaultctl's command table: command word → what runs it. Every command of the help table
 * (help-table.ts) has its entry here and no other (test/unit/cli/commands.test.ts).
 */
import { EXIT_INTEGRITY, EXIT_OK } from '../common/index.js';
import { describeConfig } from '../config/index.js';
import { parseCommand, UsageError } from './args.js';
import { json as toJson, seconds } from './output.js';
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
import {
  auditCommand,
  caseCommand,
  consentCommand,
  eraseCommand,
  holdCommand,
  indexCommand,
  keysCommand,
  rectifyCommand,
  restrictCommand,
  retentionCommand,
  verifyCommand,
} from './storage-commands.js';
import type { CliCommand } from './context.js';

const configCommand: CliCommand = async ({ config, sub, more, p }) => {
  // `config example` needs no configuration and is answered before the table (index.ts).
  if (sub !== 'check') throw new UsageError('config check | config example');
  const { values } = parseCommand(more, { json: { type: 'boolean' } });
  if (values['json'] === true) p.out(toJson(describeConfig(config)));
  else p.out(`config OK: ${config.file} (policy ${config.policy.name})`);
  return EXIT_OK;
};

const importCommand: CliCommand = async ({ config, rest, p, call }) => {
  const { values, positionals } = parseCommand(rest, {
    meta: { type: 'string' },
    progress: { type: 'boolean' },
  });
  const onProgress =
    positionals.length > 1 ? stderrProgress('import', values['progress'] === true) : undefined;
  return importFiles(config, positionals, values['meta'], p, call, onProgress);
};

const exportCommand: CliCommand = async ({ config, rest, p, timeoutMs }) => {
  const { values, positionals } = parseCommand(rest, {
    output: { type: 'string', short: 'o' },
    reason: { type: 'string' },
    force: { type: 'boolean' },
  });
  const id = positionals[0];
  const out = values['output'];
  if (id === undefined || typeof out !== 'string')
    throw new UsageError('export ID -o FILE.wav --reason TEXT [--force]');
  await exportTo(
    config,
    id,
    out,
    { reason: values['reason'], force: values['force'] === true, timeoutMs },
    p,
  );
  return EXIT_OK;
};

const testCallCommand: CliCommand = async ({ config, rest, p }) => {
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
  const fromAddress = values['from-address'];
  p.err(`placing a ${secs} s SIPREC test call (caller 440 Hz, agent 1000 Hz)…`);
  const r = await placeTestCall(config, { seconds: secs, transport, fromAddress });
  p.out(
    `${r.ok ? 'OK' : 'FAILED'}: recorded as ${r.recordingId}, ${seconds(r.durationMs)} of ${seconds(r.sentMs)} sent; ` +
      `left ${r.leftHz} Hz (caller, expected 440), right ${r.rightHz} Hz (agent, expected 1000)`,
  );
  return r.ok ? EXIT_OK : EXIT_INTEGRITY;
};

const backupCommand: CliCommand = async ({ config, rest, p }) => {
  const { values } = parseCommand(rest, { output: { type: 'string', short: 'o' } });
  if (typeof values['output'] !== 'string') throw new UsageError('backup -o FILE');
  const r = backup(config, values['output']);
  p.out(`backup written to ${r.file}: ${r.parts.join(', ')} (recordings stay in ${config.storage.dir})`);
  return EXIT_OK;
};

const restoreCommand: CliCommand = async ({ config, rest, p }) => {
  const { positionals } = parseCommand(rest, {});
  if (positionals[0] === undefined) throw new UsageError('restore FILE');
  const r = restore(config, positionals[0]);
  for (const path of r.restored) p.out(`restored ${path}`);
  for (const path of r.movedAside) p.out(`moved aside ${path}`);
  p.out(`backed-up config (${r.createdAt}) written to ${r.config}: compare it with ${config.file}`);
  return EXIT_OK;
};

/** Every command but `help` (answered before the configuration is read). */
export const COMMANDS: Readonly<Record<string, CliCommand>> = {
  config: configCommand,
  status: ({ config, rest, p, call }) => statusCommand(config, rest, p, call),
  recordings: ({ config, sub, more, p, call }) => recordingsCommand(config, sub, more, p, call),
  import: importCommand,
  export: exportCommand,
  verify: verifyCommand,
  keys: keysCommand,
  audit: auditCommand,
  index: indexCommand,
  users: usersCommand,
  retention: retentionCommand,
  hold: holdCommand,
  consent: consentCommand,
  dsar: ({ config, sub, more, p, timeoutMs }) => dsarCommand(config, sub, more, p, timeoutMs),
  grant: grantCommand,
  'training-copy': trainingCopyCommand,
  restrict: restrictCommand,
  case: caseCommand,
  erase: eraseCommand,
  rectify: rectifyCommand,
  'test-call': testCallCommand,
  backup: backupCommand,
  restore: restoreCommand,
};

/** The table's entry for `word`; undefined for a word it has none for (no prototype keys). */
export function commandFor(word: string): CliCommand | undefined {
  return Object.hasOwn(COMMANDS, word) ? COMMANDS[word] : undefined;
}
