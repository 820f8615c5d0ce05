export { CallManager, type CallManagerOptions } from './call-manager.js';
export { CallStats } from './call-stats.js';
export { planStreams, type PlannedStreams } from './offer-plan.js';
