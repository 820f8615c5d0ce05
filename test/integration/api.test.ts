/**
 * The admin API over real HTTPS against the real daemon: roles, reasons, audit-before-access,
 * Range, transcoding, and what each role may learn.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:https';
import { spawnSync } from 'node:child_process';
import { ctl, isolatedSets, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { makeToneWav } from '../helpers/audio.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function call(
  url: string,
  opts: { method?: string; token?: string; headers?: Record<string, string>; json?: unknown } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.token !== undefined) headers['authorization'] = `Bearer ${opts.token}`;
    if (opts.json !== undefined) headers['content-type'] = 'application/json';
    const req = request(
      url,
      { method: opts.method ?? 'GET', rejectUnauthorized: false, headers, timeout: 20_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('error', reject);
    req.end(opts.json === undefined ? undefined : JSON.stringify(opts.json));
  });
}

const json = (r: Reply): Record<string, unknown> => JSON.parse(r.body.toString()) as Record<string, unknown>;

describe('integration: admin API', function () {
  this.timeout(90_000);
  let work: string;
  let sets: string[];
  let daemon: RunningDaemon | undefined;
  let base: string;
  let wavPath: string;
  const ids: Record<string, string> = {};
  const tokens: Record<string, string> = {};

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'cv-api-'));
    sets = await isolatedSets(join(work, 'storage'));
    wavPath = join(work, 'tone.wav');
    makeToneWav(wavPath, 5, [440, 880]);
    for (const [agent, number] of [
      ['1001', '+46701000001'],
      ['2002', '+46701000002'],
    ] as const) {
      const r = await ctl(sets, [
        'import',
        wavPath,
        '--meta',
        JSON.stringify({ number, agent, service: 'billing' }),
      ]);
      assert.equal(r.code, 0, r.stderr);
      ids[agent] = r.stdout.trim();
    }
    const users: [string, string, string[]][] = [
      ['sam', 'supervisor', []],
      ['ada', 'admin', []],
      ['anna', 'agent', ['--agent', '1001']],
      ['quinn', 'qa', []],
    ];
    for (const [name, role, extra] of users) {
      const r = await ctl(sets, ['users', 'add', name, '--role', role, ...extra, '--password-stdin'], {
        stdin: `${name}-long-password`,
      });
      assert.equal(r.code, 0, r.stderr);
    }
    daemon = await startDaemon(sets);
    base = `${daemon.apiUrl!}/api/v1`;
    for (const [name] of users) {
      const r = await call(`${base}/session`, {
        method: 'POST',
        json: { username: name, password: `${name}-long-password` },
      });
      assert.equal(r.status, 200);
      tokens[name] = String(json(r)['token']);
    }
  });
  after(async () => {
    await daemon?.stop('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  });

  it('401 without a token or with a bad one', async () => {
    assert.equal((await call(`${base}/recordings`)).status, 401);
    assert.equal((await call(`${base}/recordings`, { token: 'forged' })).status, 401);
  });

  it("supervisors see all calls; an agent only its own, and 404 for another agent's", async () => {
    const all = json(await call(`${base}/recordings`, { token: tokens['sam'] }))['items'] as { id: string }[];
    assert.deepEqual(all.map((r) => r.id).sort(), Object.values(ids).sort());
    const own = json(await call(`${base}/recordings`, { token: tokens['anna'] }))['items'] as {
      id: string;
    }[];
    assert.deepEqual(
      own.map((r) => r.id),
      [ids['1001']],
    );
    const other = await call(`${base}/recordings?agent=2002`, { token: tokens['anna'] });
    assert.deepEqual(json(other)['items'], []);
    assert.equal((await call(`${base}/recordings/${ids['2002']}`, { token: tokens['anna'] })).status, 404);
    assert.equal(
      (
        await call(`${base}/recordings/${ids['2002']}/audio?reason=curious%20about%20it`, {
          token: tokens['anna'],
        })
      ).status,
      404,
    );
    assert.equal((await call(`${base}/recordings/${ids['1001']}`, { token: tokens['anna'] })).status, 200);
    assert.equal((await call(`${base}/recordings`, { token: tokens['quinn'] })).status, 403);
  });

  it('refuses audio without a reason; with one, audits first and serves the exact WAV, with Range', async () => {
    const id = ids['1001']!;
    const noReason = await call(`${base}/recordings/${id}/audio`, { token: tokens['sam'] });
    assert.equal(noReason.status, 400);
    assert.equal((json(noReason)['error'] as { code: string }).code, 'CV_ERR_API_REASON_REQUIRED');

    const full = await call(`${base}/recordings/${id}/audio`, {
      token: tokens['sam'],
      headers: { 'x-access-reason': 'QA review ticket 77' },
    });
    assert.equal(full.status, 200);
    assert.equal(full.headers['content-type'], 'audio/wav');
    assert.ok(full.body.equals(readFileSync(wavPath)), 'the served WAV is the imported one');

    const part = await call(`${base}/recordings/${id}/audio?reason=QA%20review%20ticket%2077`, {
      token: tokens['sam'],
      headers: { range: 'bytes=1000-1099' },
    });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], `bytes 1000-1099/${full.body.length}`);
    assert.ok(part.body.equals(full.body.subarray(1000, 1100)));
    assert.equal(
      (
        await call(`${base}/recordings/${id}/audio?reason=QA%20review`, {
          token: tokens['sam'],
          headers: { range: 'bytes=99999999-' },
        })
      ).status,
      416,
    );

    const audit = json(await call(`${base}/audit`, { token: tokens['ada'] }))['entries'] as {
      action: string;
      actor: string;
      reason: string | null;
      recordingId: string | null;
    }[];
    const listens = audit.filter((e) => e.action === 'listen' && e.recordingId === id);
    assert.equal(listens.length, 2, 'every delivery was audited; the refused range was not a listen');
    assert.deepEqual(
      listens.map((e) => (e as unknown as { detail: { range: string | null } }).detail.range).sort(),
      ['1000-1099', null].sort(),
    );
    assert.ok(listens.every((e) => e.actor === 'sam' && (e.reason ?? '').startsWith('QA review')));
    assert.equal((await call(`${base}/audit`, { token: tokens['sam'] })).status, 403);
  });

  it('transcodes to mp3 on the fly', async () => {
    const r = await call(`${base}/recordings/${ids['2002']}/audio?format=mp3&reason=listening%20test`, {
      token: tokens['sam'],
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'audio/mpeg');
    const pcm = spawnSync(
      'ffmpeg',
      ['-v', 'error', '-f', 'mp3', '-i', 'pipe:0', '-f', 's16le', '-ac', '1', '-ar', '8000', 'pipe:1'],
      { input: r.body, maxBuffer: 1 << 24 },
    );
    const seconds = pcm.stdout.length / 16000;
    assert.ok(Math.abs(seconds - 5) < 0.2, `mp3 decodes to ${seconds} s`);
  });

  it('serves statistics without identifying anyone', async () => {
    const r = await call(`${base}/stats`, { token: tokens['sam'] });
    assert.equal(r.status, 200);
    const s = json(r);
    assert.equal(s['minGroupSize'], 5);
    assert.equal(s['calls'], null, 'two calls are fewer than the minimum group size');
    assert.deepEqual(s['byService'], {}, 'the small cell is left out');
    assert.deepEqual((s['suppressed'] as Record<string, number>)['byService'], 1);
    assert.ok(!r.body.toString().includes('+4670'), 'no phone numbers in statistics');
    assert.equal((await call(`${base}/stats`, { token: tokens['anna'] })).status, 403);
  });
});
