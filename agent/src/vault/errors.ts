/**
 * Every error the vault throws. The code is the contract; the class says how the CLI exits:
 * IntegrityError (exit 2) for tampered, truncated or unrecoverable data, UserError (exit 1)
 * for input and setup the operator can fix, plain CallvaultError for runtime faults the
 * owner handles (disk full, closed). Context carries recordingId / path / seq / offset —
 * never key material.
 */
import { CallvaultError, IntegrityError, UserError, type ErrorContext } from '../common/index.js';

type Opts = { cause?: unknown; context?: ErrorContext };

export class VaultStorageError extends UserError {
  constructor(message: string, opts: Opts = {}) {
    super('CV_ERR_VAULT_STORAGE', message, opts);
  }
}
export class VaultKeyMismatchError extends UserError {
  constructor(message: string, opts: Opts = {}) {
    super('CV_ERR_VAULT_KEY_MISMATCH', message, opts);
  }
}
export class VaultKeyPermissionsError extends UserError {
  constructor(message: string, opts: Opts = {}) {
    super('CV_ERR_VAULT_KEY_PERMISSIONS', message, opts);
  }
}
export class VaultKeyFormatError extends UserError {
  constructor(message: string, opts: Opts = {}) {
    super('CV_ERR_VAULT_KEY_FORMAT', message, opts);
  }
}
/** The key file is gone but the keystore holds data wrapped by it: never silently make a new one. */
export class VaultKeyMissingError extends UserError {
  constructor(message: string, opts: Opts = {}) {
    super('CV_ERR_VAULT_KEY_MISSING', message, opts);
  }
}
/** Rotation needs a writable key file; a systemd credential is read-only. */
export class VaultKeyReadonlyError extends UserError {
  constructor(message: string, opts: Opts = {}) {
    super('CV_ERR_VAULT_KEY_READONLY', message, opts);
  }
}
export class VaultNotFoundError extends UserError {
  constructor(message: string, opts: Opts = {}) {
    super('CV_ERR_VAULT_NOT_FOUND', message, opts);
  }
}
export class VaultExistsError extends UserError {
  constructor(message: string, opts: Opts = {}) {
    super('CV_ERR_VAULT_EXISTS', message, opts);
  }
}
export class VaultBadWavError extends UserError {
  constructor(message: string, opts: Opts = {}) {
    super('CV_ERR_VAULT_BAD_WAV', message, opts);
  }
}
export class VaultBadFormatError extends UserError {
  constructor(message: string, opts: Opts = {}) {
    super('CV_ERR_VAULT_BAD_FORMAT', message, opts);
  }
}
/** A byte range outside the decrypted WAV (the API maps it to 416). */
export class VaultBadRangeError extends UserError {
  constructor(message: string, opts: Opts = {}) {
    super('CV_ERR_VAULT_BAD_RANGE', message, opts);
  }
}

export class VaultNotAContainerError extends IntegrityError {
  constructor(message: string, opts: Opts = {}) {
    super('CV_ERR_VAULT_NOT_A_CONTAINER', message, opts);
  }
}
export class VaultReorderedError extends IntegrityError {
  constructor(message: string, opts: Opts = {}) {
    super('CV_ERR_VAULT_REORDERED', message, opts);
  }
}
export class VaultTamperedError extends IntegrityError {
  constructor(message: string, opts: Opts = {}) {
    super('CV_ERR_VAULT_TAMPERED', message, opts);
  }
}
export class VaultTruncatedError extends IntegrityError {
  constructor(message: string, opts: Opts = {}) {
    super('CV_ERR_VAULT_TRUNCATED', message, opts);
  }
}
export class VaultKeyDestroyedError extends IntegrityError {
  constructor(message: string, opts: Opts = {}) {
    super('CV_ERR_VAULT_KEY_DESTROYED', message, opts);
  }
}
export class VaultBadSignatureError extends IntegrityError {
  constructor(message: string, opts: Opts = {}) {
    super('CV_ERR_VAULT_BAD_SIGNATURE', message, opts);
  }
}
/** A finished container's digest is not the one the index or its seal recorded at finalisation. */
export class VaultDigestMismatchError extends IntegrityError {
  constructor(message: string, opts: Opts = {}) {
    super('CV_ERR_VAULT_DIGEST_MISMATCH', message, opts);
  }
}
/** A state sidecar that fails its signature, was replaced by an older copy, or is missing. */
export class VaultStateTamperedError extends IntegrityError {
  constructor(message: string, opts: Opts = {}) {
    super('CV_ERR_VAULT_STATE_TAMPERED', message, opts);
  }
}
/** A finished recording's container is gone while its data key is not: removed, not erased. */
export class VaultContainerMissingError extends IntegrityError {
  constructor(message: string, opts: Opts = {}) {
    super('CV_ERR_VAULT_CONTAINER_MISSING', message, opts);
  }
}
export class VaultKeystoreCorruptError extends IntegrityError {
  constructor(message: string, opts: Opts = {}) {
    super('CV_ERR_VAULT_KEYSTORE_CORRUPT', message, opts);
  }
}

/**
 * Recordings exist but the keystore is new or empty: opening it would make a fresh signing key
 * and leave every recording reading as erased. Restore the keystore from a backup instead.
 */
export class VaultKeystoreMissingError extends IntegrityError {
  constructor(message: string, opts: Opts = {}) {
    super('CV_ERR_VAULT_KEYSTORE_MISSING', message, opts);
  }
}
/** The master key path is a FIFO, device or directory: reading it could block start-up forever. */
export class VaultKeyNotRegularError extends UserError {
  constructor(message: string, opts: Opts = {}) {
    super('CV_ERR_VAULT_KEY_NOT_REGULAR', message, opts);
  }
}

export class VaultDiskFullError extends CallvaultError {
  constructor(message: string, opts: Opts = {}) {
    super('CV_ERR_VAULT_DISK_FULL', message, opts);
  }
}
export class VaultWriteFailedError extends CallvaultError {
  constructor(message: string, opts: Opts = {}) {
    super('CV_ERR_VAULT_WRITE_FAILED', message, opts);
  }
}
export class VaultClosedError extends CallvaultError {
  constructor(message: string, opts: Opts = {}) {
    super('CV_ERR_VAULT_CLOSED', message, opts);
  }
}

/** Maps an fs error from a write/fsync to the coded error the recorder acts on. */
export function writeFailure(err: unknown, context: ErrorContext): CallvaultError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new VaultDiskFullError('disk full while writing a recording', { cause: err, context });
  }
  return new VaultWriteFailedError('writing a recording failed', {
    cause: err,
    context: { ...context, errno: code },
  });
}
