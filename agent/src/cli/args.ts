/** Argument parsing for callvaultctl: global options, then a command path and its options. */
import { parseArgs } from 'node:util';
import { UserError } from '../common/index.js';

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

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

export function parseCommand(
  rest: readonly string[],
  options: OptionSpec,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: [...rest],
      options,
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
