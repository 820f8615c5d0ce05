export {
  createMetrics,
  registerCallMetrics,
  registerRetentionMetrics,
  type CallvaultMetrics,
  type StorageFacts,
  type CallFacts,
} from './registry.js';
export { startMetricsServer, type MetricsServer } from './server.js';
export { cachedSource } from './cached-source.js';
