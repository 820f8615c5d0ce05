export { decide, anonymised, type RetentionDecision, type RetentionAction } from './plan.js';
export {
  runRetention,
  countOverdue,
  oldestByPolicy,
  anonymiseRecording,
  destroyRecording,
  type RetentionReport,
} from './run.js';
export { withdrawConsent, type WithdrawResult } from './withdraw.js';
export { RetentionScheduler, DEFAULT_RETENTION_INTERVAL_MS } from './scheduler.js';
export { setLegalHold, setRestriction, linkCase, setCaseState } from './dpo.js';
export { eraseRecording, refuse } from './erase.js';
export * from './errors.js';
export { rectifyRecording, parseRectificationInput } from './rectify.js';
export { dsarExport, DSAR_MANIFEST, type DsarManifest, type DsarResult } from './dsar.js';
export {
  addGrant,
  grantView,
  listGrantViews,
  revokeGrant,
  GRANTABLE_ROLES,
  type GrantRequest,
  type GrantView,
} from './grants.js';
