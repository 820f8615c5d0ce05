/**
 * Upplands-Bro municipality (seed 003) end to end: the minimum stored per call, a case linked
 * and closed by the DPO, the recording anonymised 30 days after the case closes (personal data
 * and audio gone, the case kept and findable), other calls anonymised after 30 days, no legal
 * hold (the notice has none), an objection restricting instead of erasing, no transfer outside
 * the EU stated at start; the clock moved with `retention run --at`; a storage scan at the end.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ctl, isolatedSets, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { makeToneWav } from '../helpers/audio.js';
import { call, errorCode, json } from '../helpers/https.js';
import { scanForPersonalData } from '../helpers/shred-scan.js';
import {
  addUsers,
  apiBase,
  filesUnder as files,
  importRecording,
  login,
  personalPassphrase,
} from '../kit/index.js';

const DAY_MS = 86_400_000;

describe('scenario: Upplands-Bro (seed 003)', function () {
  this.timeout(300_000);
  let work: string;
  let storage: string;
  let sets: string[];
  let daemon: RunningDaemon;
  let base: string;
  let dpo: string;
  const ids: Record<string, string> = {};
  const numbers = { cased: '+46701400001', plain: '+46701400002', objects: '+46701400003' };
  const now = Date.now();

  before(async function () {
    this.timeout(120_000);
    work = mkdtempSync(join(tmpdir(), 'cv-ub-'));
    storage = join(work, 'storage');
    sets = await isolatedSets(storage, ['policy.name=upplands-bro']);
    const wav = join(work, 't.wav');
    makeToneWav(wav, 1, [440, 880]);
    for (const [key, number] of Object.entries(numbers)) {
      const meta = { number, agent: '3001', agentName: 'Handläggare Ett', service: 'bygglov' };
      ids[key] = await importRecording(sets, wav, meta);
    }
    await addUsers(sets, [['dina', 'dpo']], personalPassphrase);
    daemon = await startDaemon(sets);
    base = apiBase(daemon);
    dpo = await login(base, 'dina', personalPassphrase('dina'));
  });
  after(async () => {
    await daemon?.stop('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  });

  it('states at start that nothing leaves the EU/EEA', () => {
    const line = daemon
      .logs()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l['msg'] === 'policy in force');
    assert.equal(line?.['transfersOutsideEea'], 'refused');
    assert.deepEqual(line?.['offBoxDestinations'], []);
  });

  it('the DPO links and closes a case; no legal hold; an objection restricts', async () => {
    const put = await call(`${base}/recordings/${ids['cased']}/case`, {
      method: 'PUT',
      token: dpo,
      json: { caseId: 'UB-2026-12' },
    });
    assert.equal(put.status, 200, put.body.toString());
    const closedAt = new Date(now + 10 * DAY_MS).toISOString();
    const close = await call(`${base}/cases/UB-2026-12/close`, {
      method: 'POST',
      token: dpo,
      json: { closedAt },
    });
    assert.equal(close.status, 200, close.body.toString());
    const hold = await call(`${base}/recordings/${ids['plain']}/legal-hold`, {
      method: 'POST',
      token: dpo,
      json: { hold: true, reason: 'someone asked' },
    });
    assert.ok(hold.status >= 400 && hold.status < 500, `hold: ${hold.status}`);
    assert.equal(errorCode(hold), 'CV_ERR_RETENTION_HOLD_NOT_ALLOWED');
    const wd = await call(`${base}/subjects/${encodeURIComponent('070-140 00 03')}/withdraw-consent`, {
      method: 'POST',
      token: dpo,
      json: { reason: 'resident objects, letter of 3 Dec' },
    });
    assert.equal(wd.status, 200, wd.body.toString());
    assert.deepEqual(json(wd)['restricted'], [ids['objects']]);
  });

  it('anonymises 30 days after the call, and 30 days after the case closes; the case stays findable', async () => {
    const at = (days: number): string => new Date(now + days * DAY_MS).toISOString();
    const r31 = await ctl(sets, ['retention', 'run', '--at', at(31), '--force']);
    assert.equal(r31.code, 0, r31.stderr);
    assert.match(r31.stdout, new RegExp(`anonymised ${ids['plain']}`));
    assert.ok(
      !r31.stdout.includes(`anonymised ${ids['cased']}`),
      'the case closed on day 10: kept to day 40',
    );
    const r41 = await ctl(sets, ['retention', 'run', '--at', at(41), '--force']);
    assert.equal(r41.code, 0, r41.stderr);
    assert.match(r41.stdout, new RegExp(`anonymised ${ids['cased']}`));
    assert.match(r41.stdout, new RegExp(`kept \\(legal hold or restriction\\) ${ids['objects']}`));

    const found = await call(`${base}/recordings?caseId=UB-2026-12`, { token: dpo });
    const items = json(found)['items'] as Record<string, unknown>[];
    assert.equal(items.length, 1, 'the case record is kept and found by its case');
    assert.equal(items[0]!['id'], ids['cased']);
    assert.equal(items[0]!['number'], null);
    assert.equal(items[0]!['agentName'], null);
    assert.equal(items[0]!['service'], 'bygglov');

    await daemon.stop('SIGTERM');
    const keyFile = join(storage, 'keys', 'master.key');
    const all = files(storage);
    for (const key of ['cased', 'plain'] as const) {
      const id = ids[key]!;
      assert.ok(!all.some((f) => f.includes(id) && f.endsWith('.wav.enc')), `${key}: audio left`);
      const n = numbers[key];
      const hits = scanForPersonalData(storage, keyFile, id, [n, n.slice(1), 'Handläggare Ett']).hits;
      assert.deepEqual(hits, [], `${key}: personal data left`);
    }
    assert.ok(
      all.some((f) => f.includes(ids['objects']!) && f.endsWith('.wav.enc')),
      'restricted: kept',
    );
    daemon = await startDaemon(sets);
  });
});
