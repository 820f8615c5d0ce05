/**
 * The daemon's network listeners: HTTPS admin API (generated certificate, login against users
 * created with callvaultctl, audited) and the Prometheus scrape endpoint.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:https';
import { spawnSync } from 'node:child_process';
import { ctl, isolatedSets, startDaemon, type RunningDaemon } from '../helpers/daemon.js';

function https(
  url: string,
  method: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, rejectUnauthorized: false, headers: { 'content-type': 'application/json' }, timeout: 10_000 },
      (res) => {
        let data = '';
        res.on('data', (d: Buffer) => (data += d.toString()));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            json: data ? (JSON.parse(data) as Record<string, unknown>) : {},
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

describe('integration: daemon API and metrics listeners', function () {
  this.timeout(60_000);
  let storageDir: string;
  let sets: string[];
  let daemon: RunningDaemon | undefined;

  beforeEach(async () => {
    storageDir = mkdtempSync(join(tmpdir(), 'cv-http-'));
    sets = await isolatedSets(storageDir);
  });
  afterEach(async () => {
    await daemon?.stop('SIGKILL');
    daemon = undefined;
    rmSync(storageDir, { recursive: true, force: true });
  });

  const setting = (key: string): string => sets.find((s) => s.startsWith(`${key}=`))!.split('=')[1]!;

  it('serves HTTPS with a generated certificate; login works only for a created user and is audited', async () => {
    const add = await ctl(sets, ['users', 'add', 'anna', '--role', 'supervisor', '--password-stdin'], {
      stdin: 'correct horse battery',
    });
    assert.equal(add.code, 0, add.stderr);
    daemon = await startDaemon(sets);
    const base = `https://${setting('api.listen')}/api/v1`;
    const health = await https(`${base}/health`, 'GET');
    assert.equal(health.status, 200);
    assert.equal(health.json['status'], 'ok');

    const bad = await https(`${base}/session`, 'POST', { username: 'anna', password: 'wrong password!' });
    assert.equal(bad.status, 401);
    const none = await https(`${base}/session`, 'POST', { username: 'admin', password: 'admin' });
    assert.equal(none.status, 401, 'no default account exists');
    const ok = await https(`${base}/session`, 'POST', {
      username: 'anna',
      password: 'correct horse battery',
    });
    assert.equal(ok.status, 200);
    assert.match(String(ok.json['token']), /^[A-Za-z0-9_-]{43}$/);
    assert.ok(Date.parse(String(ok.json['expiresAt'])) > Date.now());

    // Failed logins are aggregated per address and interval; stopping the daemon writes them.
    assert.equal(await daemon.stop('SIGTERM'), 0);
    daemon = undefined;
    const audit = await ctl(sets, ['audit', 'list', '--json']);
    const entries = JSON.parse(audit.stdout) as {
      action: string;
      actor: string;
      detail: { failed?: number; users?: string[] } | null;
    }[];
    const failed = entries.filter((e) => e.action === 'login_failed');
    assert.equal(failed.length, 1, JSON.stringify(failed));
    assert.equal(failed[0]!.detail?.failed, 2);
    assert.deepEqual(failed[0]!.detail?.users, ['anna', 'admin']);
    assert.ok(entries.some((e) => e.action === 'login' && e.actor === 'anna'));
  });

  it('refuses a weak password and a duplicate user', async () => {
    const weak = await ctl(sets, ['users', 'add', 'bo', '--role', 'admin', '--password-stdin'], {
      stdin: 'short',
    });
    assert.equal(weak.code, 1);
    assert.match(weak.stderr, /CV_ERR_INDEX_WEAK_PASSWORD/);
    assert.equal(
      (
        await ctl(sets, ['users', 'add', 'bo', '--role', 'admin', '--password-stdin'], {
          stdin: 'long enough pass',
        })
      ).code,
      0,
    );
    const dup = await ctl(sets, ['users', 'add', 'bo', '--role', 'admin', '--password-stdin'], {
      stdin: 'long enough pass',
    });
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /CV_ERR_INDEX_USER_EXISTS/);
  });

  it('exposes Prometheus metrics that promtool accepts', async () => {
    daemon = await startDaemon(sets);
    const res = await fetch(`http://${setting('metrics.listen')}/metrics`);
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /^callvault_storage_free_bytes \d+/m);
    assert.match(text, /^callvault_recordings 0$/m);
    assert.match(text, /^callvault_active_recordings 0$/m);
    assert.match(text, /^callvault_vault_write_backlog_bytes 0$/m);
    // promtool comes with the prometheus Debian package, which `make test` installs.
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text });
    assert.equal(promtool.error, undefined, 'promtool is installed');
    assert.equal(promtool.status, 0, promtool.stdout.toString() + promtool.stderr.toString());
    assert.match(text, /^callvault_calls_active 0$/m);
    assert.match(text, /^# TYPE callvault_sip_messages_total counter$/m);
    assert.equal((await fetch(`http://${setting('metrics.listen')}/other`)).status, 404);
  });
});
