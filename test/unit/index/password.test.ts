/** password.ts: scrypt hashing. */
import assert from 'node:assert/strict';
import { hashPassword, verifyPassword } from '../../../agent/src/index/index.js';

describe('index/password', function () {
  this.timeout(20_000);

  it('verifies the right password only, with a fresh salt per hash', async () => {
    const a = await hashPassword('correct horse', { N: 1024 });
    const b = await hashPassword('correct horse', { N: 1024 });
    assert.match(a, /^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    assert.notEqual(a, b);
    assert.equal(await verifyPassword('correct horse', a), true);
    assert.equal(await verifyPassword('correct horsE', a), false);
    assert.equal(await verifyPassword('', a), false);
  });

  it('uses the default cost when none is given', async () => {
    const h = await hashPassword('pw');
    assert.ok(h.startsWith('scrypt$32768$8$1$'));
    assert.equal(await verifyPassword('pw', h), true);
  });

  it('returns false for stored values it did not produce', async () => {
    for (const stored of [
      '',
      'plain',
      'scrypt$1024$8$1$$',
      'scrypt$99999999$8$1$AAAA$AAAA',
      'bcrypt$x$y$z$a$b',
    ]) {
      assert.equal(await verifyPassword('pw', stored), false, stored);
    }
  });
});
