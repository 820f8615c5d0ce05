/** Argument parsing for callvaultctl: global options, then a command path and its options. */
import { parseArgs } from 'node:util';
import { UserError } from '../common/index.js';
import { nearest } from '../config/index.js';

export interface GlobalArgs {
  readonly config: string;
  readonly sets: readonly string[];
  readonly rest: readonly string[];
}

export class UsageError extends UserError {
  constructor(message: string) {
    super('CV_ERR_CLI_USAGE', message);
  }
}

const DEFAULT_CONFIG = '/etc/callvault/callvault.yaml';

/** Splits `--config F --set k=v … <command…>`; global options may come anywhere. */
export function parseGlobal(argv: readonly string[]): GlobalArgs {
  const rest: string[] = [];
  const sets: string[] = [];
  let config = process.env['CALLVAULT_CONFIG'] ?? DEFAULT_CONFIG;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--config' || a === '-c') {
      const v = argv[++i];
      if (v === undefined) throw new UsageError('--config needs a file');
      config = v;
    } else if (a.startsWith('--config=')) config = a.slice('--config='.length);
    else if (a === '--set') {
      const v = argv[++i];
      if (v === undefined) throw new UsageError('--set needs key.path=value');
      sets.push(v);
    } else if (a.startsWith('--set=')) sets.push(a.slice('--set='.length));
    else rest.push(a);
  }
  return { config, sets, rest };
}

/**
 * Takes `--timeout SECONDS` (how long to wait for the daemon's answer) out of the command
 * words; undefined when absent, so each command keeps its own default (run-command.ts).
 */
export function takeTimeout(rest: readonly string[]): { timeoutMs: number | undefined; rest: string[] } {
  const out: string[] = [];
  let timeoutMs: number | undefined;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    let v: string | undefined;
    if (a === '--timeout') v = rest[++i] ?? '';
    else if (a.startsWith('--timeout=')) v = a.slice('--timeout='.length);
    else {
      out.push(a);
      continue;
    }
    const s = Number(v);
    if (!Number.isFinite(s) || s <= 0 || s > 86_400)
      throw new UsageError(`--timeout must be a number of seconds 0-86400, got ${v === '' ? 'nothing' : v}`);
    timeoutMs = Math.round(s * 1000);
  }
  return { timeoutMs, rest: out };
}

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

/** What parseArgs gives for one option of the spec: text, a list of texts, or a flag. */
type OptionValue<S> = S extends { type: 'string'; multiple: true }
  ? string[]
  : S extends { type: 'string' }
    ? string
    : boolean;

/** The parsed options, typed from the spec (so a string option is never compared with `true`). */
export type OptionValues<O extends OptionSpec> = { [K in keyof O]?: OptionValue<O[K]> };

export function parseCommand<const O extends OptionSpec>(
  rest: readonly string[],
  options: O,
): { values: OptionValues<O>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: [...rest],
      options,
      allowPositionals: true,
      strict: true,
    });
    // parseArgs' own typing loses the spec's literal types through OptionSpec; strict parsing
    // guarantees each value has the type the spec names.
    return { values: values as OptionValues<O>, positionals };
  } catch (err) {
    throw new UsageError(withSuggestion(err as Error & { code?: string }, Object.keys(options)));
  }
}

/** The CLI's typo budget: at most two edits (a transposition counts one). */
export const MAX_TYPO_DISTANCE = 2;

/** parseArgs' message for an unknown option, with the nearest known option when there is one. */
function withSuggestion(err: Error & { code?: string }, known: readonly string[]): string {
  const typed = /option '(-[^']*)'/.exec(err.message)?.[1];
  if (err.code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || typed === undefined) return err.message;
  const near = nearest(typed.replace(/^-+/, ''), known, MAX_TYPO_DISTANCE);
  return near === undefined
    ? `unknown option ${typed}; the options are ${known.map((k) => `--${k}`).join(', ') || 'none'}`
    : `unknown option ${typed}; did you mean --${near}?`;
}
