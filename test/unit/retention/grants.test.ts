/** retention/grants.ts: add (and its refusals, audited, nothing changed), list, revoke. */
import assert from 'node:assert/strict';
import { hashPassword } from '../../../agent/src/index/index.js';
import { type Actor } from '../../../agent/src/storage/index.js';
import { addGrant, listGrantViews, revokeGrant } from '../../../agent/src/retention/index.js';
import { useTempStorage } from '../../helpers/temp-storage.js';

const DPO: Actor = { name: 'dora', role: 'dpo', from: '127.0.0.1' };
const FUTURE = '2099-01-01T00:00:00Z';

describe('retention/grants: the DPO grants qa and supervisors access until a time', function () {
  this.timeout(30_000);
  const t = useTempStorage('cv-grants-', ['policy.name=arlo']);
  beforeEach(async () => {
    const passwordHash = await hashPassword('a-long-password', { N: 1024 });
    for (const [username, role] of [
      ['qa1', 'qa'],
      ['sup1', 'supervisor'],
      ['ag1', 'agent'],
    ] as const)
      await t.storage.index.putUser({ username, role, passwordHash });
  });

  it('adds a grant in one batch with its audit entry; qa under arlo gets training copies only', async () => {
    const g = await addGrant(t.storage, DPO, { user: 'qa1', until: FUTURE, reason: 'Q1 coaching set' });
    assert.equal(g.user, 'qa1');
    assert.equal(g.until, '2099-01-01T00:00:00.000Z');
    assert.equal(g.pseudonymised, true);
    assert.equal(g.inForce, true);
    assert.equal(g.grantedBy, 'dora');
    const sup = await addGrant(t.storage, DPO, { user: 'sup1', until: FUTURE, reason: 'team lead review' });
    assert.equal(sup.pseudonymised, false);
    assert.deepEqual(
      (await listGrantViews(t.storage, false)).map((v) => v.id),
      [g.id, sup.id],
    );
    const last = (await t.storage.index.listAudit()).at(-1);
    assert.deepEqual(
      [last?.action, last?.actor, last?.reason, last?.detail],
      [
        'grant',
        'dora',
        'team lead review',
        { user: 'sup1', until: FUTURE.replace('Z', '.000Z'), grantId: sup.id },
      ],
    );
  });

  it('refuses a past time, an unknown user, a role without grants, a bad time: coded, audited, nothing stored', async () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const cases: [Parameters<typeof addGrant>[2], string][] = [
      [{ user: 'qa1', until: '2029-12-31T23:59:59Z', reason: 'too late now' }, 'CV_ERR_RETENTION_GRANT_PAST'],
      [
        { user: 'qa1', until: '2030-01-01T00:00:00Z', reason: 'ends right now' },
        'CV_ERR_RETENTION_GRANT_PAST',
      ],
      [{ user: 'nobody', until: FUTURE, reason: 'no such person' }, 'CV_ERR_RETENTION_GRANT_USER'],
      [{ user: '../etc', until: FUTURE, reason: 'bad name here' }, 'CV_ERR_RETENTION_GRANT_USER'],
      [{ user: 'ag1', until: FUTURE, reason: 'agents are fixed' }, 'CV_ERR_RETENTION_GRANT_ROLE'],
      [{ user: 'qa1', until: 'tomorrow', reason: 'not a time at all' }, 'CV_ERR_RETENTION_BAD_FIELD'],
    ];
    for (const [req, code] of cases) await assert.rejects(addGrant(t.storage, DPO, req, now), { code });
    assert.deepEqual(await listGrantViews(t.storage, true), []);
    const audit = await t.storage.index.listAudit();
    assert.deepEqual(
      audit.map((e) => [e.action, e.detail?.['code']]),
      cases.map(([, code]) => ['grant_refused', code]),
    );
    assert.equal(audit[2]?.detail?.['user'], 'nobody');
    assert.equal(audit[3]?.detail?.['user'], undefined, 'a malformed name stays out of the log');
  });

  it('revokes (audited with the reason); an unknown id is refused on record', async () => {
    const g = await addGrant(t.storage, DPO, { user: 'qa1', until: FUTURE, reason: 'Q1 coaching set' });
    assert.deepEqual(await revokeGrant(t.storage, DPO, g.id, 'left the team'), { id: g.id, revoked: true });
    assert.deepEqual(await listGrantViews(t.storage, true), []);
    await assert.rejects(revokeGrant(t.storage, DPO, g.id, null), {
      code: 'CV_ERR_RETENTION_GRANT_NOT_FOUND',
    });
    const [, revoked, refused] = await t.storage.index.listAudit();
    assert.deepEqual(
      [revoked?.action, revoked?.reason, revoked?.detail],
      ['revoke_grant', 'left the team', { grantId: g.id, user: 'qa1' }],
    );
    assert.deepEqual([refused?.action, refused?.detail?.['op']], ['grant_refused', 'revoke']);
  });

  it('says whether each grant is in force at the given time (expiry itself is filtered in the index)', async () => {
    const g = await addGrant(t.storage, DPO, {
      user: 'qa1',
      until: '2040-01-01T00:00:00Z',
      reason: 'short look now',
    });
    const after = new Date('2040-01-01T00:00:00Z');
    assert.deepEqual(
      (await listGrantViews(t.storage, true, after)).map((v) => [v.id, v.inForce]),
      [[g.id, false]],
    );
    assert.equal((await listGrantViews(t.storage, true))[0]?.inForce, true);
  });
});
