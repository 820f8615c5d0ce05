import { CallvaultError, EXIT_INTEGRITY, EXIT_USER, IntegrityError, UserError } from '../common/index.js';

export const CONTROL_ERROR_CODES = {
  PROTOCOL: 'CV_ERR_CONTROL_PROTOCOL',
  UNKNOWN_COMMAND: 'CV_ERR_CONTROL_UNKNOWN_COMMAND',
  DISCONNECTED: 'CV_ERR_CONTROL_DISCONNECTED',
  PEER_UNKNOWN: 'CV_ERR_CONTROL_PEER_UNKNOWN',
  ACCESS: 'CV_ERR_CONTROL_ACCESS',
  REASON_REQUIRED: 'CV_ERR_CONTROL_REASON_REQUIRED',
  RESTRICTED: 'CV_ERR_CONTROL_RESTRICTED',
  TIMEOUT: 'CV_ERR_CONTROL_TIMEOUT',
  EXPIRED: 'CV_ERR_CONTROL_EXPIRED',
} as const;

export class ControlProtocolError extends CallvaultError {
  constructor(message: string) {
    super(CONTROL_ERROR_CODES.PROTOCOL, `control socket: ${message}`);
  }
}

export class UnknownCommandError extends UserError {
  constructor(cmd: string) {
    super(CONTROL_ERROR_CODES.UNKNOWN_COMMAND, `unknown control command ${cmd}`, { context: { cmd } });
  }
}

export class ControlDisconnectedError extends CallvaultError {
  constructor() {
    super(CONTROL_ERROR_CODES.DISCONNECTED, 'the daemon closed the control socket before answering');
  }
}

/** The daemon did not answer in time (stalled, overloaded, or a long command): exit 3. */
export class ControlTimeoutError extends CallvaultError {
  constructor(cmd: string, timeoutMs: number) {
    super(
      CONTROL_ERROR_CODES.TIMEOUT,
      `the daemon did not answer ${cmd} within ${timeoutMs / 1000} s (stalled or overloaded?): ` +
        'a command it had not started will not run later; one it had started finishes on its own. ' +
        'Check the daemon (systemctl status callvault, its log) or retry with --timeout SECONDS',
      { context: { cmd, timeoutMs } },
    );
  }
}

/** A request that reached the daemon after the client's deadline: refused, never run late. */
export class ControlExpiredError extends CallvaultError {
  constructor(cmd: string) {
    super(CONTROL_ERROR_CODES.EXPIRED, `control command ${cmd} arrived after its deadline; not run`, {
      context: { cmd },
    });
  }
}

/**
 * The daemon cannot learn the OS identity of a control-socket peer (addon missing, getsockopt
 * failed). Commands are refused rather than audited under a name nobody verified: exit 3, an
 * installation fault (`make` builds the addon), not something the technician typed.
 */
export class ControlPeerUnknownError extends CallvaultError {
  constructor(why: string, cause?: unknown) {
    super(
      CONTROL_ERROR_CODES.PEER_UNKNOWN,
      `control socket: cannot identify the connecting OS user (${why}); commands are refused`,
      { cause, context: { why } },
    );
  }
}

/** The control socket is owner-only (0600 in a 0700 storage.dir) and we are not its owner. */
export class ControlAccessError extends UserError {
  constructor(path: string, cause?: unknown) {
    super(
      CONTROL_ERROR_CODES.ACCESS,
      `cannot use the daemon's control socket ${path}: permission denied; run callvaultctl as the user callvault runs as (or root)`,
      { cause, context: { path } },
    );
  }
}

/** Audio leaves the appliance only with a stated reason, from the CLI as from the API. */
export class ReasonRequiredError extends UserError {
  constructor(minVisible: number) {
    super(
      CONTROL_ERROR_CODES.REASON_REQUIRED,
      `--reason is required: state why (a ticket number will do), at least ${minVisible} visible characters`,
      { context: { key: 'reason' } },
    );
  }
}

/** GDPR art. 18: a restricted recording is not exported, by any role or path. */
export class RecordingRestrictedError extends UserError {
  constructor(recordingId: string) {
    super(CONTROL_ERROR_CODES.RESTRICTED, `recording ${recordingId} is restricted: export refused`, {
      context: { recordingId },
    });
  }
}

/**
 * An error the daemon reported: rebuilt on the client side with the same code and the same
 * exit-code class, so `callvaultctl` behaves identically with or without a daemon.
 */
export function remoteError(code: string, message: string, exit: number): CallvaultError {
  if (exit === EXIT_INTEGRITY) return new IntegrityError(code, message);
  if (exit === EXIT_USER) return new UserError(code, message);
  return new CallvaultError(code, message);
}
