import assert from 'node:assert/strict';
import { SessionStore } from '../../../agent/src/api/sessions.js';

describe('api/sessions', () => {
  it('issues distinct tokens that resolve to their user until they expire', () => {
    let now = 1_000_000;
    const store = new SessionStore(60, () => now);
    const a = store.create({ username: 'anna', role: 'supervisor', agentId: null });
    const b = store.create({ username: 'bo', role: 'agent', agentId: '1001' });
    assert.notEqual(a.token, b.token);
    assert.ok(a.token.length >= 43);
    assert.equal(store.lookup(a.token)?.username, 'anna');
    assert.equal(store.lookup(b.token)?.agentId, '1001');
    assert.equal(a.expiresAt, new Date(1_000_000 + 60_000).toISOString());
    now += 60_000;
    assert.equal(store.lookup(a.token), null);
  });

  it('does not accept an unknown token', () => {
    const store = new SessionStore(60);
    assert.equal(store.lookup('not-a-token'), null);
  });
});
