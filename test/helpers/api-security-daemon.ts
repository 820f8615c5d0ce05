/**
 * The daemon both admin API security suites (test/integration/api-security*.test.ts) run
 * against: one imported recording, one account per role case, and a login policy tight enough
 * to test (5 failures, audit rows per second, statistics cells of 3).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ctl, isolatedSets, startDaemon, type RunningDaemon } from './daemon.js';
import { makeToneWav } from './audio.js';
import { call, json } from './https.js';

export interface AuditRow {
  action: string;
  actor: string;
  from: string | null;
  reason: string | null;
  recordingId: string | null;
  detail: Record<string, unknown> | null;
}

/** Every account's password: long enough for the policy, distinct per account. */
export const PW = (name: string): string => `${name} has a long passphrase`;

export interface SecurityDaemon {
  /** Temp dir holding the storage and the imported WAV; removed by the suite's after(). */
  readonly work: string;
  readonly storageDir: string;
  readonly sets: string[];
  readonly daemon: RunningDaemon;
  /** host:port of the API. */
  readonly host: string;
  /** https://host:port/api/v1 */
  readonly base: string;
  /** The imported recording. */
  readonly recId: string;
}

export async function startSecurityDaemon(): Promise<SecurityDaemon> {
  const work = mkdtempSync(join(tmpdir(), 'cv-apisec-'));
  const storageDir = join(work, 'storage');
  const sets = await isolatedSets(storageDir, [
    'api.login_max_failures=5',
    'api.login_max_failures_per_source=1000',
    'api.login_audit_interval_s=1',
    'api.stats_min_group_size=3',
  ]);
  const wav = join(work, 'tone.wav');
  makeToneWav(wav, 20, [440, 880]);
  const imp = await ctl(sets, [
    'import',
    wav,
    '--meta',
    JSON.stringify({ number: '+46701000001', agent: '1001', service: 'billing' }),
  ]);
  assert.equal(imp.code, 0, imp.stderr);
  const recId = imp.stdout.trim();
  for (const [name, role] of [
    ['ada', 'admin'],
    ['sam', 'supervisor'],
    ['kim', 'supervisor'],
    ['bea', 'supervisor'],
    ['dan', 'dpo'],
    ['quinn', 'qa'],
    ['vic', 'supervisor'],
    ['otto', 'dpo'],
  ] as const) {
    const r = await ctl(sets, ['users', 'add', name, '--role', role, '--password-stdin'], {
      stdin: PW(name),
    });
    assert.equal(r.code, 0, r.stderr);
  }
  const daemon = await startDaemon(sets);
  const host = `127.0.0.1:${daemon.ports.api!}`;
  const base = `https://${host}/api/v1`;
  return { work, storageDir, sets, daemon, host, base, recId };
}

/** Logs in over the API and returns the token (asserting 200). */
export async function apiLogin(base: string, username: string, password: string): Promise<string> {
  const r = await call(`${base}/session`, { method: 'POST', json: { username, password } });
  assert.equal(r.status, 200, r.body.toString());
  return String(json(r)['token']);
}

export const auditRowsOf = async (base: string, token: string): Promise<AuditRow[]> =>
  json(await call(`${base}/audit?limit=10000`, { token }))['entries'] as AuditRow[];
