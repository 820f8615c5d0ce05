/**
 * Errors of config/. Both are user errors (exit 1): the technician fixes the file or the
 * `--set` and runs again. The message follows STYLE rule 20, one line per problem:
 * `config: media.rtp_ports (dev.yaml:14): must be "LOW-HIGH" …, got "70000-80000"`.
 */
import { UserError } from '../common/index.js';

/** Where a problem came from: a line of the file, a `--set` override, or a built-in default. */
export type ProblemSource = 'file' | '--set' | 'default';

export interface ConfigProblem {
  /** Dotted key path in YAML spelling (`sip.trusted`); '' for a YAML syntax error. */
  readonly key: string;
  /** 1-based line in the file, when the problem sits on one. */
  readonly line?: number;
  readonly source: ProblemSource;
  readonly message: string;
}

export const CONFIG_ERROR_CODES = {
  invalid: 'CV_ERR_CONFIG_INVALID',
  file: 'CV_ERR_CONFIG_FILE',
  foreignOwner: 'CV_ERR_CONFIG_FOREIGN_OWNER',
} as const;

/** One line of the STYLE format; `fileName` is the base name shown in the place ('' for none). */
export function formatProblem(problem: ConfigProblem, fileName: string): string {
  const place =
    problem.source === '--set'
      ? '--set'
      : problem.line === undefined
        ? fileName
        : `${fileName}:${problem.line}`;
  if (problem.key === '') return `config: ${place === '' ? '' : `${place}: `}${problem.message}`;
  return `config: ${problem.key}${place === '' ? '' : ` (${place})`}: ${problem.message}`;
}

export class ConfigError extends UserError {
  readonly problems: readonly ConfigProblem[];

  constructor(
    file: string,
    fileName: string,
    problems: readonly ConfigProblem[],
    options: { code?: string; cause?: unknown } = {},
  ) {
    const first = problems[0];
    super(
      options.code ?? CONFIG_ERROR_CODES.invalid,
      problems.map((p) => formatProblem(p, fileName)).join('\n'),
      {
        cause: options.cause,
        context: { key: first?.key ?? '', line: first?.line, file },
      },
    );
    this.problems = Object.freeze(problems.map((p) => Object.freeze({ ...p })));
  }
}

/** The config file cannot be read at all (missing, a directory, no permission). */
export class ConfigFileError extends ConfigError {
  constructor(file: string, fileName: string, message: string, cause?: unknown) {
    super(file, fileName, [{ key: '', source: 'file', message }], { code: CONFIG_ERROR_CODES.file, cause });
  }
}

/**
 * storage.dir or a key file belongs to another (non-root) user: that user could read or swap
 * recordings and keys behind callvault's back, so nothing is opened (exit 1).
 */
export class ForeignOwnerError extends UserError {
  constructor(key: string, path: string, owner: string, self: string) {
    super(
      CONFIG_ERROR_CODES.foreignOwner,
      `config: ${key}: ${path} is owned by ${owner}, but this runs as ${self}: only that user or root may own it; chown it to the user callvault runs as, or run as that user (e.g. sudo -u callvault)`,
      { context: { key, path } },
    );
  }
}
