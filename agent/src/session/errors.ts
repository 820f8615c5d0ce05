/**
 * Errors of the session model. The code is the contract (tests and edges branch on it).
 */
import { CallvaultError, UserError, type ErrorContext } from '../common/index.js';

type Opts = { cause?: unknown; context?: ErrorContext };

/** A verb was called on a session that has already ended: the caller holds a stale reference. */
export class SessionEndedError extends CallvaultError {
  constructor(message: string, opts: Opts = {}) {
    super('CV_ERR_SESSION_ENDED', message, opts);
  }
}

/** A SessionInfo or patch that breaks the model's invariants (unknown participant id, bad date). */
export class SessionInvalidError extends UserError {
  constructor(message: string, opts: Opts = {}) {
    super('CV_ERR_SESSION_INVALID', message, opts);
  }
}
