/**
 * The DPO's grants against the real daemon (Arlo preset): `callvaultctl grant` offline and over
 * the control socket, `/grants` over the API, and what a grant opens: supervisors need one under
 * Arlo, qa sees nothing without one, and a revoked or expired grant stops working at the next
 * request (same token).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ctl, isolatedSets, startDaemon } from '../helpers/daemon.js';
import { dirPerTest } from '../helpers/workspace.js';
import { makeToneWav } from '../helpers/audio.js';
import { call, errorCode, json } from '../helpers/https.js';
import { addUsers, apiBase, login } from '../kit/index.js';

const FUTURE = '2099-01-01T00:00:00Z';

describe('integration: DPO grants (CLI offline and via the daemon, API) and what they open', function () {
  this.timeout(180_000);
  const ws = dirPerTest('cv-grants-', 'SIGTERM');

  it('grant add|list|revoke, refusals on record, access at the next request', async () => {
    const sets = await isolatedSets(join(ws.dir, 'storage'), ['policy.name=arlo']);
    const wav = join(ws.dir, 't.wav');
    makeToneWav(wav, 1, [440, 880]);
    const imp = await ctl(sets, [
      'import',
      wav,
      '--meta',
      JSON.stringify({ number: '+46701000081', agent: '81', consent: 'given' }),
    ]);
    assert.equal(imp.code, 0, imp.stderr);
    const recId = imp.stdout.trim();
    await addUsers(sets, [
      ['dora', 'dpo'],
      ['sven', 'supervisor'],
      ['quinn', 'qa'],
      ['adam', 'admin'],
      ['agnes', 'agent', '81'],
    ]);

    // Offline (no daemon): the CLI opens the storage itself.
    const add = await ctl(sets, ['grant', 'add', 'sven', '--until', FUTURE, '--reason', 'offline grant']);
    assert.equal(add.code, 0, add.stderr);
    const offlineId = add.stdout.trim();
    const past = await ctl(sets, [
      'grant',
      'add',
      'quinn',
      '--until',
      '2020-01-01T00:00:00Z',
      '--reason',
      'too late',
    ]);
    assert.equal(past.code, 1);
    assert.match(past.stderr, /CV_ERR_RETENTION_GRANT_PAST/);
    const nobody = await ctl(sets, ['grant', 'add', 'nobody', '--until', FUTURE, '--reason', 'who is this']);
    assert.equal(nobody.code, 1);
    assert.match(nobody.stderr, /CV_ERR_RETENTION_GRANT_USER/);
    // The contract's form: --reason is optional; one that is given must say something.
    const noReason = await ctl(sets, ['grant', 'add', 'sven', '--until', FUTURE]);
    assert.equal(noReason.code, 0, noReason.stderr);
    const blank = await ctl(sets, ['grant', 'add', 'sven', '--until', FUTURE, '--reason', ' . ']);
    assert.equal(blank.code, 1, 'a blank reason is refused');
    assert.equal((await ctl(sets, ['grant', 'revoke', noReason.stdout.trim()])).code, 0);
    let list = await ctl(sets, ['grant', 'list', '--json']);
    assert.deepEqual(
      (JSON.parse(list.stdout) as { id: string }[]).map((g) => g.id),
      [offlineId],
    );
    assert.equal((await ctl(sets, ['grant', 'revoke', offlineId, '--reason', 'not needed'])).code, 0);
    const again = await ctl(sets, ['grant', 'revoke', offlineId]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /CV_ERR_RETENTION_GRANT_NOT_FOUND/);
    list = await ctl(sets, ['grant', 'list', '--all', '--json']);
    assert.deepEqual(JSON.parse(list.stdout), []);

    ws.daemon = await startDaemon(sets);
    const base = apiBase(ws.daemon);
    const [dpo, sup, qa, admin] = [
      await login(base, 'dora'),
      await login(base, 'sven'),
      await login(base, 'quinn'),
      await login(base, 'adam'),
    ];
    const listAs = (t: string) => call(`${base}/recordings`, { token: t });
    const audioAs = (t: string) =>
      call(`${base}/recordings/${recId}/audio?reason=quality%20review`, { token: t });
    const grantApi = (t: string, body: Record<string, unknown>) =>
      call(`${base}/grants`, { method: 'POST', token: t, json: body });

    // Arlo: a supervisor without a grant sees nothing; qa neither; admin sees the calls.
    assert.equal((await listAs(sup)).status, 403);
    assert.equal((await audioAs(sup)).status, 403);
    assert.equal((await listAs(qa)).status, 403);
    assert.equal((await listAs(admin)).status, 200);

    // Refusals over the API: 4xx with the code, nothing stored.
    const refusals: [Record<string, unknown>, number, string][] = [
      [
        { user: 'sven', until: '2020-01-01T00:00:00Z', reason: 'too late now' },
        400,
        'CV_ERR_RETENTION_GRANT_PAST',
      ],
      [{ user: 'ghost', until: FUTURE, reason: 'who is this' }, 400, 'CV_ERR_RETENTION_GRANT_USER'],
      [{ user: 'agnes', until: FUTURE, reason: 'agents are fixed' }, 400, 'CV_ERR_RETENTION_GRANT_ROLE'],
      [{ user: 'sven', until: FUTURE }, 400, 'CV_ERR_API_REASON_REQUIRED'],
    ];
    for (const [body, status, code] of refusals) {
      const r = await grantApi(dpo, body);
      assert.deepEqual([r.status, errorCode(r)], [status, code]);
    }
    assert.equal((await grantApi(admin, { user: 'sven', until: FUTURE, reason: 'admin tries' })).status, 403);
    assert.deepEqual(json(await call(`${base}/grants?all=true`, { token: dpo }))['grants'], []);

    // The DPO grants the supervisor: the same token works at once.
    const g = await grantApi(dpo, { user: 'sven', until: FUTURE, reason: 'team lead review' });
    assert.equal(g.status, 201, g.body.toString());
    const grantId = String(json(g)['id']);
    const seen = json(await listAs(sup))['items'] as { id: string }[];
    assert.deepEqual(
      seen.map((i) => i.id),
      [recId],
    );
    assert.equal((await audioAs(sup)).status, 200);

    // qa granted through the CLI while the daemon runs (control socket): training copies only.
    const viaSocket = await ctl(sets, [
      'grant',
      'add',
      'quinn',
      '--until',
      FUTURE,
      '--reason',
      'coaching set',
    ]);
    assert.equal(viaSocket.code, 0, viaSocket.stderr);
    const qaList = await listAs(qa);
    assert.equal(qaList.status, 200);
    assert.deepEqual(json(qaList)['items'], [], 'no training copy yet; the original stays hidden');
    assert.equal((await call(`${base}/recordings/${recId}`, { token: qa })).status, 404);
    assert.equal((await audioAs(qa)).status, 404);

    // Revoked: the supervisor's next request (same token) is refused.
    const del = await call(`${base}/grants/${grantId}`, {
      method: 'DELETE',
      token: dpo,
      json: { reason: 'review done' },
    });
    assert.equal(del.status, 200, del.body.toString());
    assert.equal((await listAs(sup)).status, 403);
    assert.equal((await audioAs(sup)).status, 403);
    const del2 = await call(`${base}/grants/${grantId}`, { method: 'DELETE', token: dpo, json: {} });
    assert.deepEqual([del2.status, errorCode(del2)], [404, 'CV_ERR_RETENTION_GRANT_NOT_FOUND']);

    // Expired: a grant ending in 3 s stops working by itself.
    const short = await grantApi(dpo, {
      user: 'sven',
      until: new Date(Date.now() + 3000).toISOString(),
      reason: 'a quick look',
    });
    assert.equal(short.status, 201);
    assert.equal((await listAs(sup)).status, 200);
    const deadline = Date.now() + 30_000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) status = (await listAs(sup)).status;
    assert.equal(status, 403, 'the expired grant stopped working');

    // list: in force vs --all; every change and refusal on record with the DPO's reason.
    const inForce = JSON.parse((await ctl(sets, ['grant', 'list', '--json'])).stdout) as { user: string }[];
    assert.deepEqual(
      inForce.map((x) => x.user),
      ['quinn'],
    );
    const everything = JSON.parse(
      (await ctl(sets, ['grant', 'list', '--all', '--json'])).stdout,
    ) as unknown[];
    assert.equal(everything.length, 2);
    const audit = json(await call(`${base}/audit`, { token: dpo }))['entries'] as {
      action: string;
      actor: string;
      reason: string | null;
      detail: Record<string, unknown> | null;
    }[];
    const of = (action: string) => audit.filter((e) => e.action === action);
    assert.deepEqual(
      of('grant').map((e) => [e.actor.startsWith('os:') ? 'os' : e.actor, e.reason]),
      [
        ['os', 'offline grant'],
        ['os', null],
        ['dora', 'team lead review'],
        ['os', 'coaching set'],
        ['dora', 'a quick look'],
      ],
    );
    assert.deepEqual(
      of('revoke_grant').map((e) => e.reason),
      [null, 'not needed', 'review done'],
    );
    assert.deepEqual(
      of('grant_refused').map((e) => e.detail?.['code']),
      [
        'CV_ERR_RETENTION_GRANT_PAST',
        'CV_ERR_RETENTION_GRANT_USER',
        'CV_ERR_RETENTION_GRANT_NOT_FOUND',
        'CV_ERR_RETENTION_GRANT_PAST',
        'CV_ERR_RETENTION_GRANT_USER',
        'CV_ERR_RETENTION_GRANT_ROLE',
        'CV_ERR_RETENTION_GRANT_NOT_FOUND',
      ],
    );
    process.stdout.write(
      `      grants: ${of('grant').length} added, ${of('revoke_grant').length} revoked, ${of('grant_refused').length} refused on record\n`,
    );
  });
});
