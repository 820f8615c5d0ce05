/** What every callvaultctl command gets: the configuration, its words, the printer and `call`. */
import type { Config } from '../config/index.js';
import type { Printer } from './output.js';
import type { runStorageCommand } from './run-command.js';

export interface CliContext {
  readonly config: Config;
  /** The word after the command (`rotate` in `keys rotate`), if any. */
  readonly sub: string | undefined;
  /** The words after the command, the subcommand included. */
  readonly rest: readonly string[];
  /** The words after the subcommand. */
  readonly more: readonly string[];
  readonly p: Printer;
  /** runStorageCommand with the CLI's --timeout applied. */
  readonly call: typeof runStorageCommand;
  /** `--timeout`, for the commands that stream a file and call runStorageCommand themselves. */
  readonly timeoutMs: number | undefined;
}

/** One command of the table: its exit code (0 ok, 1 user error, 2 integrity, 3 internal). */
export type CliCommand = (ctx: CliContext) => Promise<number>;
