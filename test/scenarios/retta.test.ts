/**
 * Retta (seed 002) end to end: date, time, name and number stored per call; access with a copy
 * and portability (one DSAR archive with exactly that person's recordings); restriction while
 * accuracy is disputed; erasure when no longer needed; 180 days' retention, longer while a case
 * still needs it; the DPO working through the API with a personal login, the clock moved with
 * `retention run --at`, and a storage scan at the end.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ctl, isolatedSets, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { makeToneWav } from '../helpers/audio.js';
import { call } from '../helpers/https.js';
import { scanForPersonalData } from '../helpers/shred-scan.js';
import { filesUnder as files, importRecording, startStaffed } from '../kit/index.js';

const DAY_MS = 86_400_000;

describe('scenario: Retta (seed 002)', function () {
  this.timeout(300_000);
  let work: string;
  let storage: string;
  let sets: string[];
  let daemon: RunningDaemon;
  let base: string;
  let dpo: string;
  let sup: string;
  const ids: Record<string, string> = {};
  const subject = '+46701500001';
  const other = '+46701500002';
  const now = Date.now();

  before(async function () {
    this.timeout(120_000);
    work = mkdtempSync(join(tmpdir(), 'cv-retta-'));
    storage = join(work, 'storage');
    sets = await isolatedSets(storage, ['policy.name=retta']);
    const wav = join(work, 't.wav');
    makeToneWav(wav, 1, [440, 880]);
    const imports: [string, Record<string, unknown>][] = [
      ['complaint', { number: subject, agentName: 'Förvaltare Fem', service: 'complaints', caseId: 'RT-77' }],
      ['question', { number: subject, agentName: 'Förvaltare Fem', service: 'rent' }],
      ['neighbour', { number: other, agentName: 'Förvaltare Fem', service: 'rent' }],
    ];
    for (const [key, meta] of imports)
      ids[key] = await importRecording(sets, wav, { agent: '5005', ...meta });
    const staffed = await startStaffed(sets, [
      ['disa', 'dpo'],
      ['sune', 'supervisor'],
    ]);
    ({ daemon, base } = staffed);
    [dpo, sup] = [staffed.tokens['disa']!, staffed.tokens['sune']!];
  });
  after(async () => {
    await daemon?.stop('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  });

  it('gives the data subject a copy of exactly their recordings, in a machine-readable archive', async () => {
    const r = await call(
      `${base}/subjects/${encodeURIComponent('070-150 00 01')}/export?reason=${encodeURIComponent('identity checked with ID card')}`,
      { token: dpo },
    );
    assert.equal(r.status, 200, r.body.toString());
    const body = r.body.toString('latin1');
    assert.ok(body.includes('manifest.json'));
    assert.ok(body.includes(ids['complaint']!) && body.includes(ids['question']!), 'both of theirs');
    assert.ok(!body.includes(ids['neighbour']!) && !body.includes(other), 'nobody else');
    assert.ok(!body.includes('Förvaltare Fem'), "not the employee's name");
  });

  it('restricts while accuracy is disputed, then releases', async () => {
    const set = (restricted: boolean) =>
      call(`${base}/recordings/${ids['question']}/restriction`, {
        method: 'POST',
        token: dpo,
        json: { restricted, reason: 'customer disputes what was said' },
      });
    assert.equal((await set(true)).status, 200);
    const listen = () =>
      call(
        `${base}/recordings/${ids['question']}/audio?reason=${encodeURIComponent('checking the dispute')}`,
        {
          token: sup,
        },
      );
    assert.equal((await listen()).status, 423);
    assert.equal((await set(false)).status, 200);
    assert.equal((await listen()).status, 200);
  });

  it('keeps the complaint while its case is open; 180 days for the rest; erasure on request', async () => {
    const erase = await call(`${base}/recordings/${ids['neighbour']}`, {
      method: 'DELETE',
      token: dpo,
      json: { reason: 'no longer needed, customer asked' },
    });
    assert.equal(erase.status, 200, erase.body.toString());
    const at = (days: number): string => new Date(now + days * DAY_MS).toISOString();
    const r181 = await ctl(sets, ['retention', 'run', '--at', at(181), '--force']);
    assert.equal(r181.code, 0, r181.stderr);
    assert.match(r181.stdout, new RegExp(`deleted ${ids['question']}`));
    assert.ok(!r181.stdout.includes(ids['complaint']!), 'the case is open: kept');
    const close = await call(`${base}/cases/RT-77/close`, {
      method: 'POST',
      token: dpo,
      json: { closedAt: at(200) },
    });
    assert.equal(close.status, 200, close.body.toString());
    const r201 = await ctl(sets, ['retention', 'run', '--at', at(201), '--force']);
    assert.match(r201.stdout, new RegExp(`deleted ${ids['complaint']}`));

    await daemon.stop('SIGTERM');
    const keyFile = join(storage, 'keys', 'master.key');
    const all = files(storage);
    for (const [key, n] of [
      ['complaint', subject],
      ['question', subject],
      ['neighbour', other],
    ] as const) {
      const id = ids[key]!;
      assert.ok(!all.some((f) => f.includes(id)), `${key}: a file of ${id} is left`);
      assert.deepEqual(scanForPersonalData(storage, keyFile, id, [n, n.slice(1), 'Förvaltare Fem']).hits, []);
    }
    daemon = await startDaemon(sets);
  });
});
