/**
 * Access security of the admin API against the real daemon over real HTTPS (as
 * api-security.test.ts): bounded and escaped audit fields, aborted deliveries of tampered
 * audio, statistics rules, TLS suites and headers.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunningDaemon } from '../helpers/daemon.js';
import { call, errorCode, json } from '../helpers/https.js';
import { scanContainer } from '../../agent/src/vault/reader.js';
import { RECORD_HEADER_BYTES, RecordType } from '../../agent/src/vault/container.js';
import {
  PW,
  apiLogin,
  auditRowsOf,
  startSecurityDaemon,
  type AuditRow,
} from '../helpers/api-security-daemon.js';

function findFile(dir: string, name: string): string | null {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) {
      const f = findFile(p, name);
      if (f !== null) return f;
    } else if (e === name) return p;
  }
  return null;
}

describe('integration: admin API delivery, statistics and TLS security', function () {
  this.timeout(180_000);
  let work: string;
  let storageDir: string;
  let daemon: RunningDaemon | undefined;
  let host: string;
  let base: string;
  let recId: string;

  const login = (username: string, password = PW(username)): Promise<string> =>
    apiLogin(base, username, password);
  const auditRows = (token: string): Promise<AuditRow[]> => auditRowsOf(base, token);

  before(async () => {
    ({ work, storageDir, daemon, host, base, recId } = await startSecurityDaemon());
  });
  after(async () => {
    await daemon?.stop('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  });

  it('HEAD and a refused Range are not listens; Range and reasons are stored bounded and escaped', async () => {
    const sam = await login('sam');
    const ada = await login('ada');
    const before = (await auditRows(ada)).filter((e) => e.action === 'listen').length;
    const head = await call(`${base}/recordings/${recId}/audio?reason=checking%20the%20size`, {
      method: 'HEAD',
      token: sam,
    });
    assert.equal(head.status, 200);
    const bad = await call(`${base}/recordings/${recId}/audio?reason=checking%20the%20size`, {
      token: sam,
      headers: { range: `bytes=99999999-${'9'.repeat(15)}` },
    });
    assert.equal(bad.status, 416);
    assert.equal((await auditRows(ada)).filter((e) => e.action === 'listen').length, before);

    const blank = await call(
      `${base}/recordings/${recId}/audio?reason=${encodeURIComponent('\u2003\u2003\u2003\u2003\u200b\u200b\u200b.')}`,
      { token: sam },
    );
    assert.equal(blank.status, 400, 'invisible characters are not a reason');
    assert.equal(errorCode(blank), 'CV_ERR_API_REASON_REQUIRED');

    const forged = 'ticket 42\n2026-01-01 ada admin export\u001b[2J' + 'x'.repeat(2000);
    const r = await call(`${base}/recordings/${recId}/audio?reason=${encodeURIComponent(forged)}`, {
      token: sam,
      headers: { range: 'bytes=0-99' },
    });
    assert.equal(r.status, 206);
    const last = (await auditRows(ada)).filter((e) => e.action === 'listen').at(-1)!;
    assert.ok(!/\p{Cc}/u.test(last.reason!), 'no control characters stored');
    assert.ok(last.reason!.startsWith('ticket 42\\u000a2026'));
    assert.ok([...last.reason!].length <= 500);
    assert.equal(last.detail?.['range'], '0-99');
  });

  it('a tampered container over mp3: the response is aborted, logged and audited as failed', async () => {
    const file = findFile(join(storageDir, 'recordings'), `${recId}.wav.enc`);
    assert.ok(file !== null);
    const fh = await open(file, 'r+');
    try {
      const scan = await scanContainer(fh, recId);
      const audio = scan.records.filter((r) => r.type === RecordType.audio);
      assert.ok(audio.length >= 3, `audio records: ${audio.length}`);
      const victim = audio.at(-1)!;
      const at = victim.offset + RECORD_HEADER_BYTES + Math.floor(victim.length / 2);
      const b = Buffer.alloc(1);
      await fh.read(b, 0, 1, at);
      b[0] = b[0]! ^ 0x40;
      await fh.write(b, 0, 1, at);
    } finally {
      await fh.close();
    }
    const sam = await login('sam');
    const r = await call(`${base}/recordings/${recId}/audio?format=mp3&reason=quality%20review%207`, {
      token: sam,
    });
    process.stdout.write(
      `      tampered mp3: status ${r.status}, complete ${r.complete}, ${r.body.length} bytes\n`,
    );
    assert.ok(!(r.status === 200 && r.complete), 'never a clean 200 of a short file');
    const wav = await call(`${base}/recordings/${recId}/audio?reason=quality%20review%207`, { token: sam });
    assert.equal(wav.status, 200);
    assert.equal(wav.complete, false, 'the WAV transfer is cut off too');
    const ada = await login('ada');
    const failed = (await auditRows(ada)).filter(
      (e) => e.action === 'listen_failed' && e.recordingId === recId,
    );
    assert.equal(failed.length, 2);
    assert.equal(failed[0]!.detail?.['code'], 'CV_ERR_VAULT_TAMPERED');
    assert.match(daemon!.logs(), /audio delivery failed/);
    assert.equal((await call(`${base}/health`)).status, 200, 'the daemon lives');
  });

  it('statistics: supervisor/admin/dpo only, whole days, small cells suppressed, audited', async () => {
    for (const name of ['quinn'] as const)
      assert.equal((await call(`${base}/stats`, { token: await login(name) })).status, 403);
    const dan = await login('dan');
    const r = await call(`${base}/stats?from=2026-12-04T10:00:00.001Z&to=2026-12-04T10:00:00.002Z`, {
      token: dan,
    });
    assert.equal(r.status, 200);
    const s = json(r);
    assert.equal(s['from'], '2026-12-04T00:00:00.000Z');
    assert.equal(s['to'], '2026-12-05T00:00:00.000Z');
    const now = json(await call(`${base}/stats`, { token: dan }));
    assert.equal(now['calls'], null, 'one call is below the minimum group size (3)');
    assert.deepEqual(now['byService'], {}, 'the small cell is left out, not shown empty');
    assert.equal((now['suppressed'] as Record<string, number>)['byService'], 1);
    assert.equal((await call(`${base}/stats?from=garbage`, { token: dan })).status, 400);
    const ada = await login('ada');
    assert.ok((await auditRows(ada)).some((e) => e.action === 'stats' && e.actor === 'dan'));
  });

  it('TLS 1.2 only with ECDHE+AEAD (AES128-SHA fails), TLS 1.3 works; security headers on every answer', async () => {
    const sclient = (args: string[]): number =>
      spawnSync('openssl', ['s_client', '-connect', host, ...args], { input: '', timeout: 15_000 }).status ??
      -1;
    assert.notEqual(sclient(['-tls1_2', '-cipher', 'AES128-SHA']), 0, 'static RSA + CBC/SHA-1 refused');
    assert.notEqual(sclient(['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-SHA']), 0, 'CBC refused');
    assert.notEqual(sclient(['-tls1_1']), 0, 'TLS 1.1 refused');
    assert.equal(sclient(['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256']), 0);
    assert.equal(sclient(['-tls1_3']), 0);
    for (const r of [
      await call(`${base}/health`),
      await call(`${base}/recordings`),
      await call(`https://${host}/nowhere`),
    ]) {
      assert.equal(r.headers['cache-control'], 'no-store');
      assert.match(String(r.headers['strict-transport-security']), /max-age=\d{7,}/);
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
      assert.match(String(r.headers['content-security-policy']), /default-src 'self'/);
      assert.match(String(r.headers['content-security-policy']), /frame-ancestors 'none'/);
    }
  });
});
