export { decide, anonymised, type RetentionDecision, type RetentionAction } from './plan.js';
export {
  runRetention,
  countOverdue,
  setLegalHold,
  withdrawConsent,
  destroyRecording,
  type RetentionReport,
} from './run.js';
export { RetentionScheduler, DEFAULT_RETENTION_INTERVAL_MS } from './scheduler.js';
