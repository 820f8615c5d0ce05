/**
 * Every error the vault throws. The code is the contract; the class says how the CLI exits:
 * IntegrityError (exit 2) for tampered, truncated or unrecoverable data, UserError (exit 1)
 * for input and setup the operator can fix, plain CallvaultError for runtime faults the
 * owner handles (disk full, closed). Context carries recordingId / path / seq / offset —
 * never key material.
 */
import { coded, CallvaultError, IntegrityError, UserError, type ErrorContext } from '../common/index.js';

export class VaultStorageError extends coded(UserError, 'CV_ERR_VAULT_STORAGE') {}
export class VaultKeyMismatchError extends coded(UserError, 'CV_ERR_VAULT_KEY_MISMATCH') {}
export class VaultKeyPermissionsError extends coded(UserError, 'CV_ERR_VAULT_KEY_PERMISSIONS') {}
export class VaultKeyFormatError extends coded(UserError, 'CV_ERR_VAULT_KEY_FORMAT') {}
/** The key file is gone but the keystore holds data wrapped by it: never silently make a new one. */
export class VaultKeyMissingError extends coded(UserError, 'CV_ERR_VAULT_KEY_MISSING') {}
/** Rotation needs a writable key file; a systemd credential is read-only. */
export class VaultKeyReadonlyError extends coded(UserError, 'CV_ERR_VAULT_KEY_READONLY') {}
export class VaultNotFoundError extends coded(UserError, 'CV_ERR_VAULT_NOT_FOUND') {}
export class VaultExistsError extends coded(UserError, 'CV_ERR_VAULT_EXISTS') {}
export class VaultBadWavError extends coded(UserError, 'CV_ERR_VAULT_BAD_WAV') {}
export class VaultBadFormatError extends coded(UserError, 'CV_ERR_VAULT_BAD_FORMAT') {}
/** A byte range outside the decrypted WAV (the API maps it to 416). */
export class VaultBadRangeError extends coded(UserError, 'CV_ERR_VAULT_BAD_RANGE') {}

export class VaultNotAContainerError extends coded(IntegrityError, 'CV_ERR_VAULT_NOT_A_CONTAINER') {}
export class VaultReorderedError extends coded(IntegrityError, 'CV_ERR_VAULT_REORDERED') {}
export class VaultTamperedError extends coded(IntegrityError, 'CV_ERR_VAULT_TAMPERED') {}
export class VaultTruncatedError extends coded(IntegrityError, 'CV_ERR_VAULT_TRUNCATED') {}
export class VaultKeyDestroyedError extends coded(IntegrityError, 'CV_ERR_VAULT_KEY_DESTROYED') {}
export class VaultBadSignatureError extends coded(IntegrityError, 'CV_ERR_VAULT_BAD_SIGNATURE') {}
/** A finished container's digest is not the one the index or its seal recorded at finalisation. */
export class VaultDigestMismatchError extends coded(IntegrityError, 'CV_ERR_VAULT_DIGEST_MISMATCH') {}
/** A state sidecar that fails its signature, was replaced by an older copy, or is missing. */
export class VaultStateTamperedError extends coded(IntegrityError, 'CV_ERR_VAULT_STATE_TAMPERED') {}
/** A finished recording's container is gone while its data key is not: removed, not erased. */
export class VaultContainerMissingError extends coded(IntegrityError, 'CV_ERR_VAULT_CONTAINER_MISSING') {}
export class VaultKeystoreCorruptError extends coded(IntegrityError, 'CV_ERR_VAULT_KEYSTORE_CORRUPT') {}

/**
 * Recordings exist but the keystore is new or empty: opening it would make a fresh signing key
 * and leave every recording reading as erased. Restore the keystore from a backup instead.
 */
export class VaultKeystoreMissingError extends coded(IntegrityError, 'CV_ERR_VAULT_KEYSTORE_MISSING') {}
/** The master key path is a FIFO, device or directory: reading it could block start-up forever. */
export class VaultKeyNotRegularError extends coded(UserError, 'CV_ERR_VAULT_KEY_NOT_REGULAR') {}

export class VaultDiskFullError extends coded(CallvaultError, 'CV_ERR_VAULT_DISK_FULL') {}
export class VaultWriteFailedError extends coded(CallvaultError, 'CV_ERR_VAULT_WRITE_FAILED') {}
export class VaultClosedError extends coded(CallvaultError, 'CV_ERR_VAULT_CLOSED') {}

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
