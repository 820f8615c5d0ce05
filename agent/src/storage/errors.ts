import { CallvaultError, UserError } from '../common/index.js';

export const STORAGE_ERROR_CODES = {
  LOCKED: 'CV_ERR_STORAGE_LOCKED',
  LOCK_FAILED: 'CV_ERR_STORAGE_LOCK_FAILED',
  CLOSED: 'CV_ERR_STORAGE_CLOSED',
  NOT_FOUND: 'CV_ERR_STORAGE_NOT_FOUND',
  BAD_META: 'CV_ERR_STORAGE_BAD_META',
} as const;

/** Another live process (daemon or CLI) holds the storage directory. */
export class StorageLockedError extends UserError {
  constructor(dir: string, pid: number) {
    super(
      STORAGE_ERROR_CODES.LOCKED,
      `storage ${dir} is in use by another callvault process (pid ${pid}); stop it or use its control socket`,
      { context: { dir, pid } },
    );
  }
}

export class StorageLockError extends CallvaultError {
  constructor(path: string, cause: unknown) {
    super(STORAGE_ERROR_CODES.LOCK_FAILED, `cannot create lock file ${path}`, { cause, context: { path } });
  }
}

export class StorageClosedError extends CallvaultError {
  constructor() {
    super(STORAGE_ERROR_CODES.CLOSED, 'storage is closed');
  }
}

export class RecordingNotFoundError extends UserError {
  constructor(recordingId: string) {
    super(STORAGE_ERROR_CODES.NOT_FOUND, `no recording ${recordingId}`, { context: { recordingId } });
  }
}

/** `import --meta` JSON that does not describe a call: names the field. */
export class BadMetadataError extends UserError {
  constructor(field: string, message: string) {
    super(STORAGE_ERROR_CODES.BAD_META, `--meta ${field}: ${message}`, { context: { key: field } });
  }
}
