/**
 * Erasure and rectification by the DPO against the real daemon, over the API and the CLI:
 * refusals (held, restricted, unknown) are 4xx / exit 1 with their code, change nothing and are
 * audited as refused; an erased recording is 404 and no file of it is left in storage.dir.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ctl, isolatedSets, startDaemon } from '../helpers/daemon.js';
import { dirPerTest } from '../helpers/workspace.js';
import { makeToneWav } from '../helpers/audio.js';
import { call, errorCode, json } from '../helpers/https.js';
import { addUsers, apiBase, importRecording, login } from '../kit/index.js';

function filesNaming(root: string, id: string): string[] {
  return readdirSync(root, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.includes(id))
    .map((e) => e.name);
}

describe('integration: erasure and rectification by the DPO (API and CLI)', function () {
  this.timeout(120_000);
  const ws = dirPerTest('cv-apierase-', 'SIGTERM');

  it('erase, rectify and their refusals', async () => {
    const storage = join(ws.dir, 'storage');
    const sets = await isolatedSets(storage, ['policy.name=retta']);
    const wav = join(ws.dir, 't.wav');
    makeToneWav(wav, 1, [440, 880]);
    const ids: string[] = [];
    for (const number of ['+46701000071', '+46701000072', '+46701000073', '+46701000074'])
      ids.push(await importRecording(sets, wav, { number, agent: '71' }));
    const [gone, held, restricted, fixed] = ids as [string, string, string, string];
    await addUsers(sets, [
      ['dora', 'dpo'],
      ['sam', 'supervisor'],
    ]);
    ws.daemon = await startDaemon(sets);
    const base = apiBase(ws.daemon);
    const dpo = await login(base, 'dora');
    const sup = await login(base, 'sam');
    const reason = 'data subject request 2026/11';

    assert.equal((await ctl(sets, ['hold', 'set', held, '--reason', 'police case 7'])).code, 0);
    assert.equal((await ctl(sets, ['restrict', 'set', restricted, '--reason', 'accuracy disputed'])).code, 0);

    // API refusals: 423 with the code, nothing changed.
    const del = (id: string, t = dpo, body: unknown = { reason }) =>
      call(`${base}/recordings/${id}`, { method: 'DELETE', token: t, json: body });
    const r1 = await del(held);
    assert.deepEqual([r1.status, errorCode(r1)], [423, 'CV_ERR_RETENTION_LEGAL_HOLD']);
    const r2 = await del(restricted);
    assert.deepEqual([r2.status, errorCode(r2)], [423, 'CV_ERR_RETENTION_RESTRICTED']);
    const r3 = await del('00000000-0000-4000-8000-000000000000');
    assert.deepEqual([r3.status, errorCode(r3)], [404, 'CV_ERR_RETENTION_NOT_FOUND']);
    assert.equal((await del(gone, sup)).status, 403, 'supervisors do not erase');
    assert.equal((await del(gone, dpo, {})).status, 400, 'a reason is required');
    // CLI refusal: exit 1, the code, nothing changed.
    const c1 = await ctl(sets, ['erase', held, '--reason', reason]);
    assert.equal(c1.code, 1);
    assert.match(c1.stderr, /CV_ERR_RETENTION_LEGAL_HOLD/);
    for (const id of [held, restricted]) {
      assert.equal((await call(`${base}/recordings/${id}`, { token: sup })).status, 200);
      assert.ok(filesNaming(storage, id).length > 0);
    }
    // A case that does not exist cannot be closed (audited as refused).
    const cc = await call(`${base}/cases/NO-SUCH/close`, { method: 'POST', token: dpo, json: {} });
    assert.equal(cc.status, 404);

    // Erasure over the API; and one over the CLI.
    const ok = await del(gone);
    assert.equal(ok.status, 200, ok.body.toString());
    assert.equal((await call(`${base}/recordings/${gone}`, { token: sup })).status, 404);
    assert.deepEqual(filesNaming(storage, gone), []);
    assert.equal((await ctl(sets, ['restrict', 'release', restricted, '--reason', 'settled now'])).code, 0);
    const c2 = await ctl(sets, ['erase', restricted, '--reason', reason]);
    assert.equal(c2.code, 0, c2.stderr);
    assert.deepEqual(filesNaming(storage, restricted), []);

    // Rectification over the API and the CLI.
    const p1 = await call(`${base}/recordings/${fixed}`, {
      method: 'PATCH',
      token: dpo,
      json: { reason, number: '+46 70 100 00 99', service: 'support' },
    });
    assert.equal(p1.status, 200, p1.body.toString());
    const bad = await call(`${base}/recordings/${fixed}`, {
      method: 'PATCH',
      token: dpo,
      json: { reason, startedAt: '2020-01-01T00:00:00Z' },
    });
    assert.deepEqual([bad.status, errorCode(bad)], [400, 'CV_ERR_RETENTION_BAD_FIELD']);
    const c3 = await ctl(sets, ['rectify', fixed, '--reason', reason, '--field', 'agentName=Agent Right']);
    assert.equal(c3.code, 0, c3.stderr);
    const rec = json(await call(`${base}/recordings/${fixed}`, { token: sup }));
    assert.deepEqual(
      [rec['number'], rec['service'], rec['agentName']],
      ['+46701000099', 'support', 'Agent Right'],
    );
    const byOld = json(await call(`${base}/recordings?number=%2B46701000074`, { token: sup }));
    assert.deepEqual(byOld['items'], []);

    const audit = json(await call(`${base}/audit?limit=1000`, { token: dpo }))['entries'] as {
      action: string;
      recordingId: string | null;
      detail: Record<string, unknown> | null;
    }[];
    const of = (action: string): unknown[] =>
      audit.filter((e) => e.action === action).map((e) => [e.recordingId, e.detail?.['code'] ?? null]);
    assert.deepEqual(of('erase_refused'), [
      [held, 'CV_ERR_RETENTION_LEGAL_HOLD'],
      [restricted, 'CV_ERR_RETENTION_RESTRICTED'],
      ['00000000-0000-4000-8000-000000000000', 'CV_ERR_RETENTION_NOT_FOUND'],
      [held, 'CV_ERR_RETENTION_LEGAL_HOLD'],
    ]);
    assert.deepEqual(
      of('erase').map((e) => (e as unknown[])[0]),
      [gone, restricted],
    );
    assert.deepEqual(of('rectify_refused'), [[fixed, 'CV_ERR_RETENTION_BAD_FIELD']]);
    assert.deepEqual(
      audit.filter((e) => e.action === 'rectify').map((e) => e.detail?.['fields']),
      [['number', 'service'], ['agentName']],
    );
    assert.equal(audit.filter((e) => e.action === 'case_refused').length, 1);
    process.stdout.write(
      `      ${of('erase_refused').length} erase refusals, 2 erasures, 2 rectifications audited\n`,
    );
  });
});
