/**
 * The index stage: LevelDB schema, secondary indexes with blind-indexed personal fields, search,
 * users and grants, and the hash-chained audit log. Entered through openIndex().
 */
import { RecordingIndex } from './recording-index.js';
import type { IndexOptions } from './types.js';

export { RecordingIndex };
export * from './errors.js';
export type * from './types.js';
export { AUDIT_ACTIONS } from './types.js';
export { normaliseNumber } from '../common/index.js';
export type { NormaliseOptions } from '../common/index.js';
export { reconcile } from './reconcile.js';
export type { ReconcileResult } from './reconcile.js';
export { hashPassword, verifyPassword } from './password.js';
export type { ScryptParams } from './password.js';
export { destroyIndex, repairIndex } from './storage.js';
export { rebuildIndex } from './rebuild.js';
export type { RebuildReport } from './rebuild.js';
export { SCHEMA_VERSION } from './maintenance.js';
export { MAX_LIMIT as SEARCH_MAX_LIMIT, DEFAULT_LIMIT as SEARCH_DEFAULT_LIMIT } from './query.js';

/** Opens (creating when missing) the index; resolves when ready. Corrupt files → IndexCorruptError. */
export function openIndex(opts: IndexOptions): Promise<RecordingIndex> {
  return RecordingIndex.open(opts);
}
export {
  addAccount,
  changeAccountPassword,
  checkTotp,
  enrolTotp,
  removeTotp,
  listAccounts,
  removeAccount,
  setAccountDisabled,
  userView,
} from './accounts.js';
export type { AccountActor, UserView } from './accounts.js';
export {
  assertPasswordAllowed,
  passwordProblem,
  MIN_PASSWORD_CHARS,
  MAX_PASSWORD_CHARS,
} from './password-rule.js';
export { isValidUsername } from './users.js';
export { agentGrouper, applyTo, emptyCounter, mergeInto } from './stats-counters.js';
export type { Counter, CounterCell } from './stats-counters.js';
export type { DuePage, RetentionView } from './retention-scan.js';
