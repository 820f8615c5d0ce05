export { createMetrics, type CallvaultMetrics, type StorageFacts } from './registry.js';
export { startMetricsServer, type MetricsServer } from './server.js';
