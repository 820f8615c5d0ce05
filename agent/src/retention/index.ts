export { decide, anonymised, type RetentionDecision, type RetentionAction } from './plan.js';
export {
  runRetention,
  countOverdue,
  withdrawConsent,
  anonymiseRecording,
  destroyRecording,
  type RetentionReport,
} from './run.js';
export { RetentionScheduler, DEFAULT_RETENTION_INTERVAL_MS } from './scheduler.js';
export { setLegalHold, setRestriction, linkCase, setCaseState } from './dpo.js';
export { dsarExport, DSAR_MANIFEST, type DsarManifest, type DsarResult } from './dsar.js';
