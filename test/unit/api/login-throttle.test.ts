import assert from 'node:assert/strict';
import { LoginThrottle, MAX_FAILURES, WINDOW_MS } from '../../../agent/src/api/login-throttle.js';

describe('api/login-throttle', () => {
  it('blocks a user name after repeated failures until the window passes; success clears it', () => {
    let now = 0;
    const t = new LoginThrottle(() => now);
    for (let i = 0; i < MAX_FAILURES - 1; i++) t.failed('anna');
    assert.equal(t.retryAfterS('anna'), 0);
    t.failed('anna');
    assert.equal(t.retryAfterS('anna'), WINDOW_MS / 1000);
    assert.equal(t.retryAfterS('bo'), 0, 'other users are not affected');
    now += WINDOW_MS + 1;
    assert.equal(t.retryAfterS('anna'), 0);
    for (let i = 0; i < MAX_FAILURES; i++) t.failed('bo');
    t.succeeded('bo');
    assert.equal(t.retryAfterS('bo'), 0);
  });
});
