/**
 * Every error the index throws. The code is the contract; context carries the parameter, field or
 * record id so the CLI and the API can report it without parsing the message.
 */
import { CallvaultError, IntegrityError, UserError } from '../common/index.js';
import type { ErrorContext } from '../common/index.js';

type Opts = { cause?: unknown; context?: ErrorContext };

/** The LevelDB files are damaged: the daemon must refuse to start until the index is rebuilt. */
export class IndexCorruptError extends IntegrityError {
  constructor(detail: string, opts: Opts = {}) {
    super(
      'CV_ERR_INDEX_CORRUPT',
      `index: the LevelDB index is corrupt (${detail}); run \`callvaultctl index rebuild\` to rebuild it from the vault`,
      opts,
    );
  }
}

/** Encrypted personal fields failed to authenticate: tampered record or wrong field key. */
export class IndexDecryptError extends IntegrityError {
  constructor(recordingId: string, opts: Opts = {}) {
    super('CV_ERR_INDEX_DECRYPT', `index: personal fields of recording ${recordingId} fail to decrypt`, {
      ...opts,
      context: { recordingId, ...opts.context },
    });
  }
}

export class IndexClosedError extends CallvaultError {
  constructor() {
    super('CV_ERR_INDEX_CLOSED', 'index: the index is closed');
  }
}

/** Another process (normally the daemon) holds the LevelDB lock. */
export class IndexLockedError extends UserError {
  constructor(dir: string, opts: Opts = {}) {
    super('CV_ERR_INDEX_LOCKED', `index: ${dir} is locked by another process (is the daemon running?)`, {
      ...opts,
      context: { dir, ...opts.context },
    });
  }
}

export class IndexIoError extends CallvaultError {
  constructor(message: string, opts: Opts = {}) {
    super('CV_ERR_INDEX_IO', `index: ${message}`, opts);
  }
}

/** The stored schema is newer than this build understands, or a migration failed. */
export class IndexSchemaError extends UserError {
  constructor(message: string, opts: Opts = {}) {
    super('CV_ERR_INDEX_SCHEMA', `index: ${message}`, opts);
  }
}

export class IndexBadKeyError extends UserError {
  constructor(option: string) {
    super('CV_ERR_INDEX_BAD_KEY', `index: ${option} must be a 32-byte Buffer`, { context: { key: option } });
  }
}

/** A search or audit-list parameter is invalid; `param` names it. */
export class IndexBadQueryError extends UserError {
  constructor(param: string, expectation: string) {
    super('CV_ERR_INDEX_BAD_QUERY', `index: query parameter ${param}: ${expectation}`, {
      context: { param },
    });
  }
}

/** A recording handed to putRecording/update is malformed; `field` names the field. */
export class IndexBadRecordError extends UserError {
  constructor(field: string, expectation: string, recordingId?: string) {
    super('CV_ERR_INDEX_BAD_RECORD', `index: recording field ${field}: ${expectation}`, {
      context: { field, recordingId },
    });
  }
}

export class IndexNotFoundError extends UserError {
  constructor(kind: 'recording' | 'user' | 'grant', id: string) {
    super('CV_ERR_INDEX_NOT_FOUND', `index: ${kind} not found`, { context: { kind, id } });
  }
}

export class IndexBadUserError extends UserError {
  constructor(field: string, expectation: string) {
    super('CV_ERR_INDEX_BAD_USER', `index: user/grant field ${field}: ${expectation}`, {
      context: { field },
    });
  }
}

export class IndexBadAuditError extends UserError {
  constructor(field: string, expectation: string) {
    super('CV_ERR_INDEX_BAD_AUDIT', `index: audit entry field ${field}: ${expectation}`, {
      context: { field },
    });
  }
}

/** A stored audit entry cannot be read while listing: the chain was tampered with. */
export class IndexAuditTamperedError extends IntegrityError {
  constructor(seq: number) {
    super(
      'CV_ERR_INDEX_AUDIT_TAMPERED',
      `index: audit entry ${seq} is unreadable; run \`callvaultctl audit verify\``,
      {
        context: { seq },
      },
    );
  }
}

/** The password breaks the password rule (index/password-rule.ts); `rule` says which part. */
export class IndexWeakPasswordError extends UserError {
  constructor(rule: string) {
    super('CV_ERR_INDEX_WEAK_PASSWORD', `index: password refused: ${rule}`, { context: { rule } });
  }
}

export class IndexUserExistsError extends UserError {
  constructor(username: string) {
    super('CV_ERR_INDEX_USER_EXISTS', `index: user ${username} exists`, { context: { username } });
  }
}
