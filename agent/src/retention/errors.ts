/**
 * The retention stage's refusals: each a UserError (exit 1) with a stable code; api/ maps them
 * to HTTP (404, 423, 400) in its one table.
 */
import { UserError } from '../common/index.js';

export const RETENTION_ERROR_CODES = {
  NOT_FOUND: 'CV_ERR_RETENTION_NOT_FOUND',
  LEGAL_HOLD: 'CV_ERR_RETENTION_LEGAL_HOLD',
  RESTRICTED: 'CV_ERR_RETENTION_RESTRICTED',
  BAD_FIELD: 'CV_ERR_RETENTION_BAD_FIELD',
  FUTURE_RUN: 'CV_ERR_RETENTION_FUTURE_RUN',
  GRANT_PAST: 'CV_ERR_RETENTION_GRANT_PAST',
  GRANT_USER: 'CV_ERR_RETENTION_GRANT_USER',
  GRANT_ROLE: 'CV_ERR_RETENTION_GRANT_ROLE',
  GRANT_NOT_FOUND: 'CV_ERR_RETENTION_GRANT_NOT_FOUND',
} as const;

export class RetentionNotFoundError extends UserError {
  constructor(what: 'recording' | 'case', recordingId?: string) {
    super(
      RETENTION_ERROR_CODES.NOT_FOUND,
      what === 'case' ? 'no recording is linked to this case' : `no recording ${recordingId ?? ''}`.trim(),
      { context: { recordingId } },
    );
  }
}

/** Deletion of a recording on legal hold: the hold exists because a law or an investigation needs it. */
export class LegalHoldError extends UserError {
  constructor(recordingId: string, action: string) {
    super(
      RETENTION_ERROR_CODES.LEGAL_HOLD,
      `recording ${recordingId} is on legal hold: ${action} refused; release the hold first`,
      { context: { recordingId } },
    );
  }
}

/** GDPR art. 18: a restricted recording is only stored; deleting it is refused until released. */
export class RestrictedError extends UserError {
  constructor(recordingId: string, action: string) {
    super(
      RETENTION_ERROR_CODES.RESTRICTED,
      `recording ${recordingId} is restricted: ${action} refused; release the restriction first`,
      { context: { recordingId } },
    );
  }
}

/** A rectification naming a field that cannot be rectified, or a value it cannot take. */
export class BadFieldError extends UserError {
  constructor(field: string, why: string) {
    super(RETENTION_ERROR_CODES.BAD_FIELD, `${field}: ${why}`, { context: { key: field } });
  }
}

/**
 * `retention run --at` a time in the future would destroy now what is only due later: refused
 * unless it is a dry run or the technician says --force.
 */
export class FutureRunError extends UserError {
  constructor(at: string) {
    super(
      RETENTION_ERROR_CODES.FUTURE_RUN,
      `retention run --at ${at} is in the future: it would delete now what is due only then; add --dry-run to see what it would do, or --force to apply it`,
      { context: { key: 'at' } },
    );
  }
}

/** A grant must end in the future: one ending now or earlier would open nothing and mislead. */
export class GrantPastError extends UserError {
  constructor(until: string) {
    super(RETENTION_ERROR_CODES.GRANT_PAST, `a grant must end in the future, not ${until}`, {
      context: { key: 'until' },
    });
  }
}

/** A grant for a user name that has no account (or an unreadable --until). */
export class GrantUserError extends UserError {
  constructor(why: string) {
    super(RETENTION_ERROR_CODES.GRANT_USER, why, { context: { key: 'user' } });
  }
}

/**
 * Grants open recordings to qa and supervisor accounts only (seed 004: "managers responsible for
 * training and quality assurance"); the other roles' access is fixed by the policy.
 */
export class GrantRoleError extends UserError {
  constructor(role: string) {
    super(RETENTION_ERROR_CODES.GRANT_ROLE, `grants are for qa and supervisor accounts, not ${role}`, {
      context: { key: 'user' },
    });
  }
}

export class GrantNotFoundError extends UserError {
  constructor() {
    super(RETENTION_ERROR_CODES.GRANT_NOT_FOUND, 'no such grant', { context: { key: 'id' } });
  }
}
