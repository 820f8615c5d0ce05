/** users.ts + the users/grants store of RecordingIndex. */
import assert from 'node:assert/strict';
import { hashPassword, openIndex } from '../../../agent/src/index/index.js';
import type { GrantInput, RecordingIndex, UserInput } from '../../../agent/src/index/index.js';
import { indexOptions, tempDir } from './helpers/fixtures.js';

const FAST = { N: 1024 };

describe('index/users', function () {
  this.timeout(20_000);
  let tmp: ReturnType<typeof tempDir>;
  let index: RecordingIndex;
  let now = Date.parse('2024-06-01T00:00:00Z');
  let hash: string;

  before(async () => {
    hash = await hashPassword('secret', FAST);
  });
  beforeEach(async () => {
    tmp = tempDir();
    now = Date.parse('2024-06-01T00:00:00Z');
    index = await openIndex(indexOptions(tmp.dir, undefined, { now: () => new Date(now) }));
  });
  afterEach(async () => {
    await index.close();
    tmp.cleanup();
  });

  const grant = (over: Partial<GrantInput> = {}): GrantInput => ({
    username: 'qa1',
    grantedBy: 'dpo1',
    reason: 'training set 2024',
    expiresAt: '2024-07-01T00:00:00Z',
    scope: { services: ['support'], recordingIds: null, pseudonymised: true },
    ...over,
  });

  it('stores, lists, replaces and deletes users', async () => {
    const u = await index.putUser({ username: 'anna', role: 'agent', agentId: '2001', passwordHash: hash });
    assert.deepEqual(u, {
      username: 'anna',
      role: 'agent',
      agentId: '2001',
      passwordHash: hash,
      createdAt: '2024-06-01T00:00:00.000Z',
      disabled: false,
    });
    assert.deepEqual(await index.getUser('anna'), u);
    await index.putUser({ ...u, disabled: true });
    assert.equal((await index.getUser('anna'))?.disabled, true);
    await index.putUser({ username: 'bo', role: 'supervisor', passwordHash: hash });
    assert.deepEqual(
      (await index.listUsers()).map((x) => x.username),
      ['anna', 'bo'],
    );
    assert.equal(await index.deleteUser('anna'), true);
    assert.equal(await index.deleteUser('anna'), false);
    assert.equal(await index.getUser('anna'), null);
    assert.equal(await index.getUser('../x'), null);
  });

  it('rejects bad users with CV_ERR_INDEX_BAD_USER, including a plain password', async () => {
    const bad: [Partial<UserInput>, string][] = [
      [{ username: 'a b' }, 'username'],
      [{ role: 'root' as never }, 'role'],
      [{ passwordHash: 'hunter2' }, 'passwordHash'],
      [{ agentId: '' }, 'agentId'],
      [{ createdAt: 'now' }, 'createdAt'],
    ];
    for (const [patch, field] of bad) {
      await assert.rejects(index.putUser({ username: 'x', role: 'agent', passwordHash: hash, ...patch }), {
        code: 'CV_ERR_INDEX_BAD_USER',
        context: { field },
      });
    }
  });

  it('grants: scope and expiry, revoke, and removal with their user', async () => {
    await index.putUser({ username: 'qa1', role: 'qa', passwordHash: hash });
    const g = await index.putGrant(grant());
    assert.match(g.id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(g.scope, { services: ['support'], recordingIds: null, pseudonymised: true });
    const short = await index.putGrant(grant({ expiresAt: '2024-06-02T00:00:00Z' }));
    assert.equal((await index.listGrants({ username: 'qa1' })).length, 2);
    now = Date.parse('2024-06-03T00:00:00Z');
    assert.deepEqual(
      (await index.listGrants()).map((x) => x.id),
      [g.id],
    );
    assert.equal((await index.listGrants({ includeExpired: true })).length, 2);
    assert.equal(await index.revokeGrant(short.id), true);
    assert.equal(await index.revokeGrant(short.id), false);
    await index.deleteUser('qa1');
    assert.deepEqual(await index.listGrants({ includeExpired: true }), []);
  });

  it('refuses grants for unknown users, in the past, or with a bad scope', async () => {
    await assert.rejects(index.putGrant(grant()), { code: 'CV_ERR_INDEX_NOT_FOUND' });
    await index.putUser({ username: 'qa1', role: 'qa', passwordHash: hash });
    await assert.rejects(index.putGrant(grant({ expiresAt: '2024-05-01T00:00:00Z' })), {
      code: 'CV_ERR_INDEX_BAD_USER',
      context: { field: 'expiresAt' },
    });
    await assert.rejects(
      index.putGrant(grant({ scope: { services: null, recordingIds: ['a/b'], pseudonymised: false } })),
      {
        code: 'CV_ERR_INDEX_BAD_USER',
        context: { field: 'scope.recordingIds' },
      },
    );
  });

  it('grants with audit: the grant and its entry land together; a refused put writes neither', async () => {
    await index.putUser({ username: 'qa1', role: 'qa', passwordHash: hash });
    const audit = {
      actor: 'os:root(uid=0,pid=1)',
      role: 'admin' as const,
      action: 'grant' as const,
      reason: 'x',
    };
    const g = await index.putGrant(grant({ grantedBy: 'os:root(uid=0,pid=1)' }), audit);
    assert.deepEqual(await index.getGrant(g.id), g);
    let entries = await index.listAudit();
    assert.equal(entries.length, 1);
    assert.equal(entries[0]?.action, 'grant');
    assert.deepEqual(entries[0]?.detail, { grantId: g.id });
    await assert.rejects(index.putGrant(grant({ username: 'nobody' }), audit), {
      code: 'CV_ERR_INDEX_NOT_FOUND',
    });
    assert.equal((await index.listAudit()).length, 1);
    const revoke = { ...audit, action: 'revoke_grant' as const };
    assert.equal(await index.revokeGrant(g.id, revoke), true);
    assert.equal(await index.revokeGrant(g.id, revoke), false);
    entries = await index.listAudit();
    assert.deepEqual(
      entries.map((e) => e.action),
      ['grant', 'revoke_grant'],
    );
    assert.equal(await index.getGrant(g.id), null);
    assert.equal(await index.getGrant('../x'), null);
  });
});
