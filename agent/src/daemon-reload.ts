/**
 * SIGHUP for the daemon (main.ts): re-read the config and apply what can change without a
 * restart (log.level, sip.trusted, the certificates, the retention policies); name the rest.
 * Kept apart from main.ts so the composition root stays about wiring.
 */
import { readFileSync } from 'node:fs';
import type { CallvaultError, Logger } from './common/index.js';
import { loadConfig, type Config } from './config/index.js';
import { parseGlobal } from './cli/index.js';
import type { Storage } from './storage/index.js';
import type { SipStack } from './sip/index.js';
import type { ApiServer } from './api/index.js';

/**
 * The parts of the running daemon a reload touches (main.ts's Daemon has them): named here, not
 * imported, because nothing may import main.ts.
 */
export interface ReloadTarget {
  readonly storage: Storage;
  readonly sip: SipStack | null;
  readonly api: ApiServer | null;
}

/** Config keys SIGHUP applies to the running daemon; any other change waits for a restart. */
export const RELOADABLE_KEYS: readonly string[] = [
  'log.level',
  'sip.trusted',
  'sip.tls_cert',
  'sip.tls_key',
  'api.tls_cert',
  'api.tls_key',
  'policy',
  'policies',
];

/** Leaf values of a config by dotted key (arrays and port ranges compared whole, as JSON). */
function flatten(value: unknown, prefix: string, out: Map<string, string>): Map<string, string> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !('port' in value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix === '' ? k : `${prefix}.${k}`, out);
  } else out.set(prefix, JSON.stringify(value));
  return out;
}

/** The keys whose value differs between two configs, `file` aside. */
export function changedKeys(a: Config, b: Config): string[] {
  const fa = flatten({ ...a, file: null }, '', new Map());
  const fb = flatten({ ...b, file: null }, '', new Map());
  const keys = new Set([...fa.keys(), ...fb.keys()]);
  return [...keys].filter((k) => fa.get(k) !== fb.get(k)).sort();
}

/**
 * SIGHUP: re-reads the file (and the same --set overrides). Calls in progress are untouched:
 * a new trust list applies to the next request, and the log level at once. Differences in any
 * other key are compared with the config the daemon started with and named, so a technician
 * knows a restart is still due; an invalid file changes nothing.
 */
export function reload(started: Config, argv: readonly string[], daemon: ReloadTarget, log: Logger): void {
  let next: Config;
  try {
    next = loadConfig({ file: started.file, sets: parseGlobal(argv).sets });
  } catch (err) {
    const e = err as CallvaultError;
    log.error({ err, code: e.code }, 'config reload failed; keeping the running config');
    return;
  }
  log.level = next.log.level;
  daemon.sip?.setTrusted(next.sip.trusted);
  const policyChanged = changedKeys(daemon.storage.config, next).filter(
    // `overridden` lists the override keys: it changes with them and names no setting itself.
    (k) => (k.startsWith('policy.') || k.startsWith('policies.')) && k !== 'policy.overridden',
  );
  if (policyChanged.length > 0) {
    daemon.storage.adoptPolicies(next);
    // Keys only: a policy holds no personal data, but the values are in the file anyway.
    log.info({ policy: next.policy.name, changed: policyChanged }, 'policy reloaded; applies to new calls');
  }
  if (
    daemon.sip !== null &&
    started.sip.tls !== null &&
    next.sip.tls_cert !== null &&
    next.sip.tls_key !== null
  ) {
    try {
      daemon.sip.setTlsCredentials(readFileSync(next.sip.tls_cert), readFileSync(next.sip.tls_key));
      log.info({}, 'SIP certificate reloaded');
    } catch (err) {
      log.error({ err }, 'SIP certificate reload failed; keeping the certificate in use');
    }
  }
  if (daemon.api !== null) {
    // Re-read even when the paths are the same: a renewed certificate replaces the file in place.
    try {
      const t = daemon.api.reloadTls({ certFile: next.api.tls_cert, keyFile: next.api.tls_key });
      log.info({ fingerprint256: t.fingerprint256 }, 'API certificate reloaded');
    } catch (err) {
      log.error({ err }, 'API certificate reload failed; keeping the certificate in use');
    }
  }
  const needsRestart = changedKeys(started, next).filter(
    (k) => !RELOADABLE_KEYS.some((r) => k === r || k.startsWith(`${r}.`)),
  );
  // logLevel last: scripts (and tests) match `"logLevel":"debug","msg":"config reloaded"`.
  log.info(
    { applied: RELOADABLE_KEYS, trusted: next.sip.trusted.length, needsRestart, logLevel: next.log.level },
    'config reloaded',
  );
}
