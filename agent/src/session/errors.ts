/**
 * Errors of the session model. The code is the contract (tests and edges branch on it).
 */
import { coded, CallvaultError, UserError } from '../common/index.js';

/** A verb was called on a session that has already ended: the caller holds a stale reference. */
export class SessionEndedError extends coded(CallvaultError, 'CV_ERR_SESSION_ENDED') {}

/** A SessionInfo or patch that breaks the model's invariants (unknown participant id, bad date). */
export class SessionInvalidError extends coded(UserError, 'CV_ERR_SESSION_INVALID') {}
