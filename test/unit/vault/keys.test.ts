import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { KeyStore } from '../../../agent/src/vault/keys.js';
import { expectCode, filesUnder, removeDir, tempDir } from './helpers.js';

describe('vault/keys', function () {
  this.timeout(20000);
  let root: string;
  let ks: KeyStore | undefined;
  const src = (): { masterKeyFile: string; credentialName: string; credentialsDirectory: undefined } => ({
    masterKeyFile: join(root, 'master.key'),
    credentialName: 'callvault-master-key',
    credentialsDirectory: undefined,
  });
  const files = (): string =>
    filesUnder(join(root, 'ks'))
      .map((f) => readFileSync(f, 'latin1'))
      .join('\n');

  beforeEach(() => {
    root = tempDir();
  });
  afterEach(async () => {
    await ks?.close();
    ks = undefined;
    removeDir(root);
  });

  it('wraps data keys under the current master key and unwraps them after reopen', async () => {
    ks = await KeyStore.open(join(root, 'ks'), src());
    const id = '11111111-2222-4333-8444-555555555555';
    const dk = await ks.createDataKey(id, 1700000000000);
    assert.equal(dk.length, 32);
    await ks.close();
    ks = await KeyStore.open(join(root, 'ks'), src());
    const got = await ks.dataKey(id);
    assert.ok(got?.key.equals(dk));
    assert.equal(got?.kid, 1);
    assert.equal(got?.createdMs, 1700000000000);
    assert.ok(!files().includes(dk.toString('base64')) && !files().includes(dk.toString('hex')));
  });

  it('a burst of 200 concurrent data keys (group commit): each caller resumes only once its key is stored; all survive reopen', async () => {
    ks = await KeyStore.open(join(root, 'ks'), src());
    const store = ks;
    const ids = Array.from(
      { length: 200 },
      (_, i) => `11111111-2222-4333-8444-${String(i).padStart(12, '0')}`,
    );
    const keys = await Promise.all(
      ids.map(async (id) => {
        const dk = await store.createDataKey(id, 1700000000000);
        // Resumed: the key must already be readable.
        assert.ok(
          (await store.dataKey(id))?.key.equals(dk),
          `key of ${id} readable when its create resolved`,
        );
        return dk;
      }),
    );
    await ks.close();
    ks = await KeyStore.open(join(root, 'ks'), src());
    for (let i = 0; i < ids.length; i++) assert.ok((await ks.dataKey(ids[i]!))?.key.equals(keys[i]!));
  });

  it('refuses a missing key file when the keystore already holds keys (CV_ERR_VAULT_KEY_MISSING)', async () => {
    ks = await KeyStore.open(join(root, 'ks'), src());
    await ks.close();
    ks = undefined;
    writeFileSync(join(root, 'master.key.bak'), readFileSync(join(root, 'master.key')));
    const { unlinkSync } = await import('node:fs');
    unlinkSync(join(root, 'master.key'));
    await expectCode(KeyStore.open(join(root, 'ks'), src()), 'CV_ERR_VAULT_KEY_MISSING');
  });

  it('detects a key file lacking a key id the keystore uses (CV_ERR_VAULT_KEY_MISMATCH)', async () => {
    ks = await KeyStore.open(join(root, 'ks'), src());
    await ks.rotate();
    await ks.close();
    ks = undefined;
    const lines = readFileSync(join(root, 'master.key'), 'utf8').split('\n');
    writeFileSync(join(root, 'master.key'), `${lines[0]}\n`);
    await expectCode(KeyStore.open(join(root, 'ks'), src()), 'CV_ERR_VAULT_KEY_MISMATCH');
  });

  it('crypto-shred: wrapped keys leave every keystore file, whether in the memtable, a table, or after reopen', async () => {
    ks = await KeyStore.open(join(root, 'ks'), src());
    const ids = Array.from(
      { length: 60 },
      (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    );
    for (const id of ids.slice(0, 30)) await ks.createDataKey(id, 0);
    await ks.close();
    ks = await KeyStore.open(join(root, 'ks'), src());
    for (const id of ids.slice(30)) await ks.createDataKey(id, 0);
    const victims = [ids[0], ids[17], ids[29], ids[30], ids[59]] as string[];
    await ks.close();
    const raw = new ClassicLevel<string, string>(join(root, 'ks'), { valueEncoding: 'utf8' });
    const wrapped = new Map<string, string>();
    for (const v of victims)
      wrapped.set(v, (JSON.parse((await raw.get(`rk!${v}`)) as string) as { wrapped: string }).wrapped);
    await raw.close();
    for (const w of wrapped.values())
      assert.ok(files().includes(w), 'wrapped key readable in the files before erase');
    ks = await KeyStore.open(join(root, 'ks'), src());
    for (const v of victims) await ks.destroyDataKey(v);
    for (const v of victims) {
      assert.equal(await ks.dataKey(v), undefined);
      assert.ok(!files().includes(wrapped.get(v) as string), `wrapped key of ${v} still on disk`);
    }
    assert.ok((await ks.dataKey(ids[1] as string))?.key.length === 32, 'other keys intact');
  });

  it('index keys are HKDF of key id 1 and survive rotation; signatures verify', async () => {
    mkdirSync(join(root, 'ks'));
    ks = await KeyStore.open(join(root, 'ks'), src());
    const before = ks.indexKeys();
    assert.equal(await ks.rotate(), 2);
    assert.equal(ks.currentKeyId, 2);
    assert.ok(ks.indexKeys().blindIndexKey.equals(before.blindIndexKey));
    const { hkdfSync } = await import('node:crypto');
    const k1 = Buffer.from(
      (readFileSync(join(root, 'master.key'), 'utf8').split('\n')[0] as string).split(' ')[1] as string,
      'hex',
    );
    assert.ok(
      before.blindIndexKey.equals(
        Buffer.from(hkdfSync('sha256', k1, Buffer.alloc(0), 'callvault blind-index v1', 32)),
      ),
    );
    const sig = ks.sign(Buffer.from('x'));
    assert.equal(sig.length, 64);
    assert.equal(ks.verifySignature(Buffer.from('x'), sig), true);
    assert.equal(ks.verifySignature(Buffer.from('x'), Buffer.alloc(3)), false);
    const pem = ks.publicKeyPem;
    await ks.close();
    ks = await KeyStore.open(join(root, 'ks'), src());
    assert.equal(ks.publicKeyPem, pem, 'the signing key persists');
    assert.equal(ks.verifySignature(Buffer.from('x'), sig), true);
  });
});
