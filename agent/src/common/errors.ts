/**
 * The root of every error callvault throws. The `code` is the contract (CV_ERR_<AREA>_<WHAT>):
 * callers and tests branch on it, never on message text. Context fields (key, recordingId, path…)
 * travel in `context` so logs and edges (SIP, HTTP, CLI exit codes) can use them without parsing.
 */
export type ErrorContext = Readonly<Record<string, string | number | boolean | undefined>>;

export class CallvaultError extends Error {
  readonly code: string;
  readonly context: ErrorContext;

  constructor(code: string, message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.context = options.context ?? {};
  }
}

/** How the CLI and daemon turn an error into a process exit status (ARCHITECTURE ✦ Commands). */
export const EXIT_OK = 0;
export const EXIT_USER = 1;
export const EXIT_INTEGRITY = 2;
export const EXIT_INTERNAL = 3;

/** Errors that mean "tampered or unrecoverable data" carry this marker so the CLI exits 2. */
export class IntegrityError extends CallvaultError {}

/** Errors the user can fix (bad config, bad input, not found): exit 1. */
export class UserError extends CallvaultError {}

/** What every coded error takes besides its message. */
export type CodedErrorOptions = { cause?: unknown; context?: ErrorContext };

/** A class made by `coded`: (message, options), its code fixed. */
export type CodedErrorClass = new (message: string, options?: CodedErrorOptions) => CallvaultError;

/**
 * The base of an error class whose code never varies: `class XError extends coded(UserError,
 * 'CV_ERR_X') {}`. The class keeps its own name and `instanceof` (so its exit class); only the
 * constructor that passes the code along is written once, here.
 */
export function coded(base: typeof CallvaultError, code: string): CodedErrorClass {
  return class extends base {
    constructor(message: string, options: CodedErrorOptions = {}) {
      super(code, message, options);
    }
  };
}

export function exitCodeFor(err: unknown): number {
  if (err instanceof IntegrityError) return EXIT_INTEGRITY;
  if (err instanceof UserError) return EXIT_USER;
  return EXIT_INTERNAL;
}

export function isCallvaultError(err: unknown): err is CallvaultError {
  return err instanceof CallvaultError;
}
