/**
 * `callvault_build_info{version}` = 1, the Prometheus convention for joining a version to other
 * series. The version is package.json's, found by walking up from this file: it sits at a
 * different depth in the checkout (agent/src/metrics) and in the build (dist/metrics).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Gauge, type Registry } from 'prom-client';

/** How many directories up package.json may be (dist/metrics → root is 2). */
const MAX_LEVELS = 5;

export function packageVersion(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (let i = 0; i <= MAX_LEVELS; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'callvault' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not here: one level up
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

export function registerBuildInfo(registry: Registry, version: string = packageVersion()): void {
  const g = new Gauge({
    name: 'callvault_build_info',
    help: 'Always 1; the label carries the version of the running daemon',
    labelNames: ['version', 'node'] as const,
    registers: [registry],
  });
  g.set({ version, node: process.version }, 1);
}
