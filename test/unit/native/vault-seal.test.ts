import { strict as assert } from 'node:assert';
import { createCipheriv, randomBytes } from 'node:crypto';
import { loadNativeAddon } from '../../../agent/src/common/index.js';

/**
 * native/vault-seal.c directly: what it refuses (anything but Buffers, with a coded TypeError and
 * nothing encrypted) and that what it accepts is node:crypto's AES-256-GCM.
 */
interface SealAddon {
  seal(key: unknown, iv: unknown, aad: unknown, pieces: unknown, tag: unknown): void;
  open(key: unknown, iv: unknown, aad: unknown, data: unknown, tag: unknown): boolean;
}

const { addon, unavailable } = loadNativeAddon<SealAddon>('vault-seal');
const refused = { name: 'TypeError', code: 'CV_ERR_VAULT_NATIVE' };

describe('native/vault-seal', function () {
  before(function () {
    // `make` builds it wherever node ships its OpenSSL headers (see the Makefile).
    if (addon === null) {
      console.log(`      vault-seal not built: ${unavailable}`);
      this.skip();
    }
  });
  const key = randomBytes(32);
  const iv = randomBytes(12);

  it('seals as node:crypto does, and opens what it sealed', () => {
    const plain = [randomBytes(100), randomBytes(0), randomBytes(4097)];
    const aad = [randomBytes(32), randomBytes(10)];
    const c = createCipheriv('aes-256-gcm', key, iv);
    for (const a of aad) c.setAAD(a);
    const expected = Buffer.concat([...plain.map((p) => c.update(p)), c.final()]);
    const pieces = plain.map((p) => Buffer.from(p));
    const tag = Buffer.alloc(16);
    addon!.seal(key, iv, aad, pieces, tag);
    assert.equal(Buffer.concat(pieces).compare(expected), 0);
    assert.equal(tag.compare(c.getAuthTag()), 0);
    const data = Buffer.concat(pieces);
    assert.equal(addon!.open(key, iv, aad, data, tag), true);
    assert.equal(data.compare(Buffer.concat(plain)), 0);
  });

  it('refuses a piece that is not a Buffer, before encrypting any piece', () => {
    const first = Buffer.from('plaintext that must stay plaintext');
    const before = Buffer.from(first);
    for (const odd of ['a string', 42, null, undefined, { length: 4 }, [1, 2, 3]])
      assert.throws(() => addon!.seal(key, iv, [], [first, odd], Buffer.alloc(16)), refused, String(odd));
    assert.equal(first.compare(before), 0, 'the Buffer before the refused piece is untouched');
    assert.throws(() => addon!.seal(key, iv, [], 'not an array', Buffer.alloc(16)), refused);
  });

  it('refuses AAD that is not a Buffer (the tag would cover less than the record)', () => {
    assert.throws(() => addon!.seal(key, iv, [randomBytes(8), 'header'], [Buffer.alloc(8)], Buffer.alloc(16)), refused);
    assert.throws(() => addon!.open(key, iv, [7], Buffer.alloc(8), Buffer.alloc(16)), refused);
  });

  it('refuses data to open that is not a Buffer instead of answering false', () => {
    assert.throws(() => addon!.open(key, iv, [], 'ciphertext', Buffer.alloc(16)), refused);
  });

  it('refuses a key, iv or tag that is not a Buffer with a TypeError, a wrong length with an Error', () => {
    assert.throws(() => addon!.seal(key.toString('hex'), iv, [], [], Buffer.alloc(16)), refused);
    assert.throws(() => (addon!.seal as (...args: unknown[]) => void)(key, iv, [], []), refused);
    assert.throws(() => addon!.seal(Buffer.alloc(16), iv, [], [], Buffer.alloc(16)), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'CV_ERR_VAULT_NATIVE');
      assert.ok(!(err instanceof TypeError));
      return true;
    });
  });
});
