/**
 * The product version: package.json's, read once from the root above the build (dist/common →
 * ../..; agent/src/common → ../../.. when run from source), so a checkout and the installed
 * package (/opt/callvault/package.json) answer the same way.
 */
import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** `version` of the nearest callvault package.json above this file; `unknown` when none is read. */
export function productVersion(): string {
  if (cached !== undefined) return cached;
  cached = 'unknown';
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === 'callvault' && typeof pkg.version === 'string') {
        cached = pkg.version;
        break;
      }
    } catch {
      // Not this level: try the next one up.
    }
  }
  return cached;
}
