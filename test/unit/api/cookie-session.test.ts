import assert from 'node:assert/strict';
import { cookieToken, SESSION_COOKIE, wantsCookie } from '../../../agent/src/api/cookie-session.js';

describe('api/cookie-session', () => {
  it('finds the session cookie among others and bounds its value', () => {
    assert.equal(cookieToken(`a=1; ${SESSION_COOKIE}=abc_DEF-9; b=2`), 'abc_DEF-9');
    assert.equal(cookieToken('a=1; b=2'), null);
    assert.equal(cookieToken(undefined), null);
    assert.equal(cookieToken(`${SESSION_COOKIE}=a;b`), 'a');
    assert.equal(cookieToken(`${SESSION_COOKIE}=bad value`), null);
    assert.equal(cookieToken(`${SESSION_COOKIE}=${'x'.repeat(257)}`), null);
    // A cookie whose name only ends like ours is someone else's.
    assert.equal(cookieToken(`x${SESSION_COOKIE}=abc`), null);
  });

  it('only a literal true asks for the cookie', () => {
    assert.equal(wantsCookie({ cookie: true }), true);
    for (const b of [{ cookie: 'true' }, { cookie: 1 }, {}, null, 'cookie', []])
      assert.equal(wantsCookie(b), false);
  });
});
