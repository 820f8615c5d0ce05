/**
 * callvaultctl — the technician's CLI (ARCHITECTURE ✦ Commands). Exit codes: 0 success,
 * 1 user error, 2 integrity failure, 3 internal error.
 */
import { EXIT_OK, exitCodeFor, productVersion, type CallvaultError } from '../common/index.js';
import { loadConfig, exampleConfig } from '../config/index.js';
import { parseGlobal, takeTimeout, UsageError } from './args.js';

export { parseGlobal };
import { runStorageCommand } from './run-command.js';
import { stdio, inert, type Printer } from './output.js';
import {
  commandNames,
  helpFor,
  mistypedOption,
  renderOverview,
  unknownCommand,
  unknownSubcommand,
} from './help.js';
import { commandFor } from './commands.js';

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
  // (A leading option such as --version is left to the command table's lookup.)
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
  const command = commandFor(cmd);
  if (command === undefined) {
    if (cmd.startsWith('-'))
      throw new UsageError(`unknown option ${cmd}; callvaultctl help lists the commands`);
    // In the help table but not (yet) in the command table.
    throw new UsageError(`${cmd} is not available in this version of callvaultctl`);
  }
  const rest = g.rest.slice(1);
  return command({ config, sub, rest, more, p, call, timeoutMs });
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
