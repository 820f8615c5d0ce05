/**
 * Who owns the data and the keys. Checked before storage is opened (daemon start, and the CLI
 * when it opens the storage itself), not at config load: `config check` and a CLI talking to
 * the daemon's socket touch no file, and may run as another user.
 */
import { readFileSync, statSync } from 'node:fs';
import type { Config } from './types.js';
import { ForeignOwnerError } from './errors.js';

/** `name (uid N)`, or `uid N` when the password database has no entry. */
function describeUid(uid: number): string {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (name !== undefined && name !== '' && Number(id) === uid) return `${name} (uid ${uid})`;
    }
  } catch {
    // No password database (minimal containers): the uid alone.
  }
  return `uid ${uid}`;
}

/** The paths whose owner matters, by config key; a missing path is created by us later. */
function guarded(config: Config): [string, string][] {
  const paths: [string, string | null][] = [
    ['storage.dir', config.storage.dir],
    ['keys.master_key_file', config.keys.master_key_file],
    ['api.tls_key', config.api.tls_key],
    ['sip.tls_key', config.sip.tls_key],
  ];
  return paths.filter((p): p is [string, string] => p[1] !== null);
}

/**
 * Throws ForeignOwnerError when storage.dir or a key file exists and belongs to neither the
 * user this process runs as nor root. `uid` is for tests; it defaults to the effective uid.
 */
export function assertOwnership(config: Config, uid: number = process.geteuid?.() ?? -1): void {
  if (uid < 0) return; // Not POSIX: no owners to compare.
  for (const [key, path] of guarded(config)) {
    const st = statSync(path, { throwIfNoEntry: false });
    if (st === undefined || st.uid === uid || st.uid === 0) continue;
    throw new ForeignOwnerError(key, path, describeUid(st.uid), describeUid(uid));
  }
}
