/**
 * Help and did-you-mean for callvaultctl, both read from one table (help-table.ts), so a
 * command's --help, the overview and the hints for a typo cannot disagree.
 */
import { nearest } from '../config/index.js';
import { COMMAND_HELP, GLOBAL_OPTIONS, type CommandHelp, type OptionHelp } from './help-table.js';
import { MAX_TYPO_DISTANCE, UsageError } from './args.js';

function entries(): readonly CommandHelp[] {
  return COMMAND_HELP;
}

function split(entry: CommandHelp): { cmd: string; subs: string[] } {
  const [cmd = '', sub] = entry.name.split(' ');
  return { cmd, subs: sub === undefined ? [] : sub.split('|') };
}

export function commandNames(): string[] {
  return [...new Set(entries().map((e) => split(e).cmd))];
}

/** The subcommands of a group (`recordings` → list, search, show); empty for a plain command. */
export function subcommandsOf(cmd: string): string[] {
  return entries()
    .filter((e) => split(e).cmd === cmd)
    .flatMap((e) => split(e).subs);
}

/** The entry for `words` (`['recordings', 'list']`, `['export']`), if the table has one. */
export function findHelp(cmd: string, sub: string | undefined): CommandHelp | undefined {
  return entries().find((e) => {
    const s = split(e);
    return s.cmd === cmd && (s.subs.length === 0 || (sub !== undefined && s.subs.includes(sub)));
  });
}

function optionLines(options: readonly OptionHelp[]): string[] {
  const width = Math.max(...options.map((o) => o.flag.length));
  return options.map((o) => `  ${o.flag.padEnd(width)}  ${o.text}`);
}

export function renderHelp(e: CommandHelp): string {
  const head = `usage: callvaultctl ${e.name}${e.args === undefined ? '' : ` ${e.args}`}`;
  const opts = e.options ?? [];
  return [
    head + (opts.length > 0 ? ' [options]' : ''),
    '',
    e.summary,
    ...(opts.length > 0 ? ['', 'options:', ...optionLines(opts)] : []),
    '',
    'example:',
    `  ${e.example}`,
  ].join('\n');
}

/** The help of a group without its subcommand: each subcommand's line. */
function renderGroup(cmd: string): string {
  const lines = entries()
    .filter((e) => split(e).cmd === cmd)
    .map((e) => `  ${e.name}${e.args === undefined ? '' : ` ${e.args}`}  — ${e.summary}`);
  return [
    `usage: callvaultctl ${cmd} <${subcommandsOf(cmd).join('|')}> …`,
    '',
    ...lines,
    '',
    `callvaultctl ${cmd} SUBCOMMAND --help for its options`,
  ].join('\n');
}

export function renderOverview(): string {
  const rows = entries().map((e) => [`${e.name}${e.args === undefined ? '' : ` ${e.args}`}`, e.summary]);
  const width = Math.max(...rows.map((r) => r[0]!.length));
  return [
    'usage: callvaultctl [--config FILE] [--set key.path=value ...] [--timeout SECONDS] <command>',
    '',
    'commands:',
    ...rows.map(([n, s]) => `  ${n!.padEnd(width)}  ${s}`),
    '',
    'global options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'callvaultctl help COMMAND (or COMMAND --help) for its options and an example.',
  ].join('\n');
}

/** A usage error for an unknown command, with the nearest known one when there is one. */
export function unknownCommand(cmd: string): UsageError {
  const near = nearest(cmd, commandNames(), MAX_TYPO_DISTANCE);
  return new UsageError(
    near === undefined
      ? `unknown command ${cmd}; callvaultctl help lists the commands`
      : `unknown command ${cmd}; did you mean ${near}?`,
  );
}

/** Null when `sub` is a known subcommand of `cmd` (or `cmd` is not a group the table knows). */
export function unknownSubcommand(cmd: string, sub: string | undefined): UsageError | null {
  const subs = subcommandsOf(cmd);
  if (subs.length === 0 || (sub !== undefined && subs.includes(sub))) return null;
  if (sub === undefined) return new UsageError(`${cmd} needs a subcommand: ${subs.join(', ')}`);
  const near = nearest(sub, subs, MAX_TYPO_DISTANCE);
  return new UsageError(
    near === undefined
      ? `unknown subcommand ${cmd} ${sub}; the subcommands are ${subs.join(', ')}`
      : `unknown subcommand ${cmd} ${sub}; did you mean ${cmd} ${near}?`,
  );
}

/**
 * The help of the command `words` name (`[]`: the overview; `['recordings']`: the group), or a
 * usage error with a did-you-mean for a command the table does not know.
 */
export function helpFor(words: readonly string[]): string {
  const [cmd, sub] = words.filter((w) => !w.startsWith('-'));
  if (cmd === undefined) return renderOverview();
  if (!commandNames().includes(cmd)) throw unknownCommand(cmd);
  const entry = findHelp(cmd, sub);
  if (entry !== undefined) return renderHelp(entry);
  const bad = unknownSubcommand(cmd, sub);
  if (bad !== null && sub !== undefined) throw bad;
  return renderGroup(cmd);
}

/** Long and short option names (`--output`, `-o`) an entry documents. */
function optionNames(e: CommandHelp): string[] {
  return (e.options ?? []).flatMap((o) => o.flag.split(/[ ,]+/).filter((w) => /^--?[a-z]/.test(w)));
}

/**
 * An option of `cmd [sub]` that is close to one its help documents but is not one of them
 * (`--outptu`): the error says which was meant, before the configuration is read. Options far
 * from every documented one are left to the command's own parser.
 */
export function mistypedOption(
  cmd: string,
  sub: string | undefined,
  words: readonly string[],
): UsageError | null {
  const entry = findHelp(cmd, sub);
  if (entry === undefined) return null;
  const known = optionNames(entry);
  for (const w of words) {
    if (!w.startsWith('--')) continue;
    const typed = w.split('=')[0]!;
    if (known.includes(typed)) continue;
    const near = nearest(
      typed.slice(2),
      known.filter((k) => k.startsWith('--')).map((k) => k.slice(2)),
      MAX_TYPO_DISTANCE,
    );
    if (near !== undefined) return new UsageError(`unknown option ${typed}; did you mean --${near}?`);
  }
  return null;
}
