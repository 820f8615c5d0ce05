import assert from 'node:assert/strict';
import { accountFingerprint, MAX_PER_USER, SessionStore } from '../../../agent/src/api/sessions.js';
import type { User } from '../../../agent/src/index/index.js';

const user = (username: string, extra: Partial<User> = {}): User => ({
  username,
  role: 'supervisor',
  agentId: null,
  passwordHash: 'scrypt$16$1$1$c2FsdA==$aGFzaA==',
  createdAt: '2026-01-01T00:00:00.000Z',
  disabled: false,
  ...extra,
});

describe('api/sessions', () => {
  it('issues distinct tokens that resolve to their user until they expire', () => {
    let now = 1_000_000;
    const store = new SessionStore(60, () => now);
    const a = store.create(user('anna'));
    const b = store.create(user('bo', { role: 'agent', agentId: '1001' }));
    assert.notEqual(a.token, b.token);
    assert.ok(a.token.length >= 43);
    assert.equal(store.lookup(a.token)?.user.username, 'anna');
    assert.equal(store.lookup(b.token)?.user.agentId, '1001');
    assert.equal(a.expiresAt, new Date(1_000_000 + 60_000).toISOString());
    now += 60_000;
    assert.equal(store.lookup(a.token), null);
  });

  it('gives each session its own CSRF token, stable for the session and unknown to another store', () => {
    const store = new SessionStore(60);
    const a = store.create(user('anna'));
    const b = store.create(user('anna'));
    assert.equal(store.csrfFor(a.token), store.csrfFor(a.token));
    assert.notEqual(store.csrfFor(a.token), store.csrfFor(b.token));
    assert.notEqual(store.csrfFor(a.token), new SessionStore(60).csrfFor(a.token));
    assert.match(store.csrfFor(a.token), /^[A-Za-z0-9_-]{43}$/);
  });

  it('does not accept an unknown token', () => {
    const store = new SessionStore(60);
    assert.equal(store.lookup('not-a-token'), null);
  });

  it('logout ends one session at once; revokeUser ends all of a user, or one by id', () => {
    const store = new SessionStore(600);
    const a1 = store.create(user('anna'), '192.0.2.1');
    const a2 = store.create(user('anna'));
    const a3 = store.create(user('anna'));
    const b = store.create(user('bo'));
    assert.equal(store.revoke(a1.token), true);
    assert.equal(store.lookup(a1.token), null);
    assert.equal(store.revoke(a1.token), false);
    const listed = store.list('anna');
    assert.equal(listed.length, 2);
    assert.ok(listed.every((s) => /^[0-9a-f]{16}$/.test(s.id) && !JSON.stringify(s).includes(a2.token)));
    assert.equal(store.revokeUser('anna', listed[0]!.id), 1);
    assert.equal(store.lookup(a2.token), null);
    assert.equal(store.revokeUser('anna'), 1);
    assert.equal(store.lookup(a3.token), null);
    assert.equal(store.lookup(b.token)?.user.username, 'bo');
  });

  it('keeps at most MAX_PER_USER sessions of one user (the oldest go first)', () => {
    const store = new SessionStore(600);
    const first = store.create(user('anna'));
    for (let i = 0; i < MAX_PER_USER + 5; i++) store.create(user('anna'));
    assert.equal(store.list('anna').length, MAX_PER_USER);
    assert.equal(store.lookup(first.token), null);
  });

  it('the account fingerprint changes with password, role and state', () => {
    const base = accountFingerprint(user('anna'));
    assert.equal(accountFingerprint(user('anna')), base);
    assert.notEqual(
      accountFingerprint(user('anna', { passwordHash: 'scrypt$16$1$1$c2FsdA==$b3RoZXI=' })),
      base,
    );
    assert.notEqual(accountFingerprint(user('anna', { role: 'admin' })), base);
    assert.notEqual(accountFingerprint(user('anna', { disabled: true })), base);
  });
});
