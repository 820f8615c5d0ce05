export { Storage, openStorage, type StartupReport, type StorageOptions } from './storage.js';
export {
  RecordingCounts,
  WRITTEN_SOURCES,
  FAILED_REASONS,
  type WrittenSource,
  type FailedReason,
} from './recording-counts.js';
export { acquireLock, LOCK_FILE, type StorageLock } from './lock.js';
export * from './errors.js';
export * from './ops.js';
export {
  parseImportMeta,
  recordFromParts,
  recordFromVault,
  expiresAt,
  type CallMetadata,
  type Consent,
  type Direction,
} from './records.js';
export {
  INTEGRITY_CHECKS,
  TAMPERED_FLAG,
  isIntegrityFailure,
  openCheckedReader,
  reportIntegrityFailure,
  type IntegrityCheck,
} from './integrity.js';
export {
  applyDpoState,
  dpoStateOf,
  effectivePolicies,
  expiryWithCase,
  policyFor,
  readDpoState,
  type DpoState,
} from './dpo-state.js';
export { updateWithState } from './dpo-update.js';
export {
  RECTIFIABLE_FIELDS,
  isRectifiableField,
  rectifiedPatch,
  type Rectification,
  type RectifiableField,
} from './rectify-fields.js';
