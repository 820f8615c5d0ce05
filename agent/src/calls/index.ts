export { CallManager, type CallManagerOptions } from './call-manager.js';
export { CallStats } from './call-stats.js';
export { planStreams, type PlannedStreams } from './offer-plan.js';
export { admit, type Admission, type AdmissionState } from './admission.js';
export { REFUSALS, refusalFor, sipRefusal, type Refusal, type SipRefusal } from './refusals.js';
export * from './errors.js';
