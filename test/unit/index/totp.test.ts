import assert from 'node:assert/strict';
import {
  base32Decode,
  base32Encode,
  hotp,
  newTotpSecret,
  otpauthUri,
  totpStep,
  verifyTotp,
} from '../../../agent/src/index/totp.js';

const RFC_SECRET = Buffer.from('12345678901234567890');

describe('index/totp', () => {
  it('matches the RFC 6238 SHA-1 test vectors (8 digits) and RFC 4226 HOTP values', () => {
    for (const [t, code] of [
      [59, '94287082'],
      [1111111109, '07081804'],
      [1111111111, '14050471'],
      [1234567890, '89005924'],
      [2000000000, '69279037'],
    ] as const) {
      assert.equal(hotp(RFC_SECRET, Math.floor(t / 30), 8), code, `T=${t}`);
    }
    assert.equal(hotp(RFC_SECRET, 0), '755224');
    assert.equal(hotp(RFC_SECRET, 9), '520489');
  });

  it('base32 round-trips (RFC 4648)', () => {
    assert.equal(base32Encode(Buffer.from('foobar')), 'MZXW6YTBOI');
    assert.deepEqual(base32Decode('MZXW6YTBOI'), Buffer.from('foobar'));
    const s = newTotpSecret();
    assert.equal(s.length, 32);
    assert.equal(base32Decode(s).length, 20);
  });

  it('accepts the current step ± 1 once, refuses replays, old codes and garbage', () => {
    const secret = base32Encode(RFC_SECRET);
    const now = 1_700_000_000_000;
    const step = totpStep(now);
    const code = hotp(RFC_SECRET, step);
    assert.equal(verifyTotp(secret, code, now, 0), step);
    assert.equal(verifyTotp(secret, code, now, step), null, 'replay');
    assert.equal(verifyTotp(secret, hotp(RFC_SECRET, step - 1), now, 0), step - 1, 'drift');
    assert.equal(verifyTotp(secret, hotp(RFC_SECRET, step - 2), now, 0), null, 'too old');
    assert.equal(verifyTotp(secret, '12345', now, 0), null);
    assert.equal(verifyTotp(secret, 'abcdef', now, 0), null);
    assert.match(
      otpauthUri(secret, 'ada'),
      /^otpauth:\/\/totp\/callvault%3Aada\?secret=[A-Z2-7]+&issuer=callvault/,
    );
  });
});
