export {
  createMetrics,
  registerCallMetrics,
  registerRetentionMetrics,
  type CallvaultMetrics,
  type StorageFacts,
  type CallFacts,
  type RetentionFacts,
} from './registry.js';
export { registerMediaMetrics } from './media-metrics.js';
export { registerBuildInfo } from './build-info.js';
export { registerTlsMetrics, type ServedCertificate } from './tls-metrics.js';
export { startMetricsServer, type MetricsServer } from './server.js';
export { cachedSource } from './cached-source.js';
