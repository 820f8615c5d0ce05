import { CallvaultError, EXIT_INTEGRITY, EXIT_USER, IntegrityError, UserError } from '../common/index.js';

export const CONTROL_ERROR_CODES = {
  PROTOCOL: 'CV_ERR_CONTROL_PROTOCOL',
  UNKNOWN_COMMAND: 'CV_ERR_CONTROL_UNKNOWN_COMMAND',
  DISCONNECTED: 'CV_ERR_CONTROL_DISCONNECTED',
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

/**
 * An error the daemon reported: rebuilt on the client side with the same code and the same
 * exit-code class, so `callvaultctl` behaves identically with or without a daemon.
 */
export function remoteError(code: string, message: string, exit: number): CallvaultError {
  if (exit === EXIT_INTEGRITY) return new IntegrityError(code, message);
  if (exit === EXIT_USER) return new UserError(code, message);
  return new CallvaultError(code, message);
}
