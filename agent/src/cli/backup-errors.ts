/** Errors of `callvaultctl backup` / `restore`. */
import { CallvaultError, UserError } from '../common/index.js';

export const BACKUP_ERROR_CODES = {
  EXISTS: 'CV_ERR_CLI_BACKUP_EXISTS',
  INVALID: 'CV_ERR_CLI_BACKUP_INVALID',
  NO_KEY: 'CV_ERR_CLI_BACKUP_NO_KEY',
  TAR: 'CV_ERR_CLI_BACKUP_TAR',
} as const;

/** The output file exists: a backup never overwrites one. */
export class BackupExistsError extends UserError {
  constructor(path: string) {
    super(BACKUP_ERROR_CODES.EXISTS, `${path} exists: choose another file name`, { context: { path } });
  }
}

/** The file to restore is not a callvault backup (no or a foreign manifest, missing parts). */
export class BackupInvalidError extends UserError {
  constructor(path: string, why: string) {
    super(BACKUP_ERROR_CODES.INVALID, `${path} is not a callvault backup: ${why}`, { context: { path } });
  }
}

/** Neither the credential nor keys.master_key_file holds a master key to back up. */
export class BackupNoKeyError extends UserError {
  constructor(path: string) {
    super(BACKUP_ERROR_CODES.NO_KEY, `no master key to back up at ${path} (keys.master_key_file)`, {
      context: { path },
    });
  }
}

/** tar failed (disk full, unreadable file): an internal error, with tar's own words as cause. */
export class BackupTarError extends CallvaultError {
  constructor(cause: unknown) {
    super(BACKUP_ERROR_CODES.TAR, 'tar failed', { cause });
  }
}
