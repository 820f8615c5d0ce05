/** Errors of callvaultctl itself (before or around a storage command): all user errors, exit 1. */
import { UserError } from '../common/index.js';

export const CLI_ERROR_CODES = {
  OUTPUT_EXISTS: 'CV_ERR_CLI_OUTPUT_EXISTS',
  OUTPUT_DIR_MISSING: 'CV_ERR_CLI_OUTPUT_DIR_MISSING',
  OUTPUT_UNWRITABLE: 'CV_ERR_CLI_OUTPUT_UNWRITABLE',
} as const;

export class OutputExistsError extends UserError {
  constructor(file: string) {
    super(CLI_ERROR_CODES.OUTPUT_EXISTS, `${file} exists; --force overwrites it`, { context: { file } });
  }
}

export class OutputDirMissingError extends UserError {
  constructor(dir: string) {
    super(CLI_ERROR_CODES.OUTPUT_DIR_MISSING, `the directory ${dir} does not exist`, { context: { dir } });
  }
}

export class OutputUnwritableError extends UserError {
  constructor(file: string, why: string) {
    super(CLI_ERROR_CODES.OUTPUT_UNWRITABLE, `cannot write ${file}: ${why}`, { context: { file } });
  }
}
