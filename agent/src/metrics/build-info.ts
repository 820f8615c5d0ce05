/**
 * `callvault_build_info{version}` = 1, the Prometheus convention for joining a version to other
 * series. The version is the product's (common/version.ts: package.json above the build).
 */
import { Gauge, type Registry } from 'prom-client';
import { productVersion } from '../common/index.js';

export function registerBuildInfo(registry: Registry, version: string = productVersion()): void {
  const g = new Gauge({
    name: 'callvault_build_info',
    help: 'Always 1; the label carries the version of the running daemon',
    labelNames: ['version', 'node'] as const,
    registers: [registry],
  });
  g.set({ version, node: process.version }, 1);
}
