import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { UserError } from '../../../agent/src/common/index.js';
import type { Vault } from '../../../agent/src/vault/index.js';
import {
  expectCode,
  filesUnder,
  noiseBytes,
  openTestVault,
  referenceWav,
  sinePcm16,
  useTestVault,
} from './helpers.js';

const FORMAT = { encoding: 'pcm16', channels: 1, sampleRate: 8000 } as const;

async function record(vault: Vault, seconds = 1, metadata: Record<string, unknown> = {}): Promise<string> {
  const w = await vault.createRecording({ format: FORMAT, metadata });
  w.append(sinePcm16(seconds, 8000, 440));
  return (await w.finalize()).id;
}

/** A WAV with a LIST/INFO chunk before data and an odd-sized trailing chunk after it. */
function wavWithList(): Buffer {
  const base = referenceWav(1, 2, 16000, sinePcm16(1, 16000, 300, 500));
  const info = Buffer.from('LIST\x12\x00\x00\x00INFOICMT\x06\x00\x00\x00hello\x00', 'latin1');
  const tail = Buffer.from('junk\x03\x00\x00\x00abc\x00', 'latin1');
  const out = Buffer.concat([base.subarray(0, 36), info, base.subarray(36), tail]);
  out.writeUInt32LE(out.length - 8, 4);
  return out;
}

describe('vault/vault', function () {
  this.timeout(20000);
  const t = useTestVault();

  it('creates a missing master key file 0600 (dir 0700) and says so; the next open reuses it', async () => {
    t.vault = await openTestVault(t.root);
    assert.equal(t.vault.masterKeyCreated, true);
    const keyFile = join(t.root, 'keys', 'master.key');
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.equal(statSync(join(t.root, 'keys')).mode & 0o777, 0o700);
    assert.equal(statSync(join(t.root, 'storage')).mode & 0o777, 0o700);
    assert.match(readFileSync(keyFile, 'utf8'), /^1 [0-9a-f]{64}\n$/);
    await t.vault.close();
    t.vault = await openTestVault(t.root);
    assert.equal(t.vault.masterKeyCreated, false);
  });

  it('refuses a wrong master key with CV_ERR_VAULT_KEY_MISMATCH before writing anything', async () => {
    t.vault = await openTestVault(t.root);
    const id = await record(t.vault);
    await t.vault.close();
    t.vault = undefined;
    const keyFile = join(t.root, 'keys', 'master.key');
    writeFileSync(keyFile, `1 ${'ab'.repeat(32)}\n`, { mode: 0o600 });
    const wrong = readFileSync(keyFile);
    const err = await expectCode(openTestVault(t.root), 'CV_ERR_VAULT_KEY_MISMATCH');
    assert.ok(err instanceof UserError);
    assert.equal((err as UserError).context.path, keyFile);
    assert.ok(!JSON.stringify((err as UserError).context).includes('abab'));
    assert.ok(readFileSync(keyFile).equals(wrong), 'key file left as it was');
    assert.equal(id.length, 36);
  });

  it('refuses a key file readable by group or others with CV_ERR_VAULT_KEY_PERMISSIONS', async () => {
    mkdirSync(join(t.root, 'keys'));
    writeFileSync(join(t.root, 'keys', 'master.key'), `1 ${'cd'.repeat(32)}\n`, { mode: 0o600 });
    chmodSync(join(t.root, 'keys', 'master.key'), 0o644);
    await expectCode(openTestVault(t.root), 'CV_ERR_VAULT_KEY_PERMISSIONS');
  });

  it('uses the systemd credential when present, and cannot rotate it', async () => {
    const creds = join(t.root, 'creds');
    mkdirSync(creds);
    writeFileSync(join(creds, 'callvault-master-key'), `7 ${'ef'.repeat(32)}\n`, { mode: 0o400 });
    t.vault = await openTestVault(t.root, { credentialsDirectory: creds });
    assert.equal(t.vault.masterKeyCreated, false);
    assert.equal(existsSync(join(t.root, 'keys', 'master.key')), false);
    const id = await record(t.vault);
    await t.vault.verify(id);
    await expectCode(t.vault.rotateMasterKey(), 'CV_ERR_VAULT_KEY_READONLY');
  });

  it('rotation: new recordings use the new key id, old ones stay readable, index keys stay stable', async () => {
    t.vault = await openTestVault(t.root);
    const keysBefore = t.vault.indexKeys();
    const old = await record(t.vault, 1, { n: 'old' });
    assert.deepEqual(await t.vault.rotateMasterKey(), { keyId: 2 });
    const fresh = await record(t.vault, 1, { n: 'new' });
    await t.vault.close();
    t.vault = await openTestVault(t.root);
    assert.match(
      readFileSync(join(t.root, 'keys', 'master.key'), 'utf8'),
      /^1 [0-9a-f]{64}\n2 [0-9a-f]{64}\n$/,
    );
    assert.deepEqual((await t.vault.openReader(old)).metadata, { n: 'old' });
    assert.deepEqual((await t.vault.openReader(fresh)).metadata, { n: 'new' });
    await t.vault.verify(old);
    await t.vault.verify(fresh);
    await t.vault.close();
    const raw = new ClassicLevel<string, string>(join(t.root, 'storage', 'keystore'), {
      valueEncoding: 'utf8',
    });
    const kidOf = async (id: string): Promise<number> =>
      (JSON.parse((await raw.get(`rk!${id}`)) as string) as { kid: number }).kid;
    assert.equal(await kidOf(old), 1);
    assert.equal(await kidOf(fresh), 2);
    await raw.close();
    t.vault = await openTestVault(t.root);
    const keysAfter = t.vault.indexKeys();
    assert.ok(keysAfter.blindIndexKey.equals(keysBefore.blindIndexKey));
    assert.ok(keysAfter.fieldKey.equals(keysBefore.fieldKey));
    assert.equal(keysAfter.blindIndexKey.length, 32);
    assert.ok(!keysAfter.blindIndexKey.equals(keysAfter.fieldKey));
    assert.ok(t.vault.blindIndexKey().equals(keysAfter.blindIndexKey));
  });

  it('erase crypto-shreds: key gone from the LevelDB files, file unlinked, reads fail', async () => {
    t.vault = await openTestVault(t.root);
    const keep = await record(t.vault);
    const id = await record(t.vault);
    const path =
      (await t.vault.openReader(id)).id &&
      filesUnder(join(t.root, 'storage', 'recordings')).find((f) => f.includes(id));
    assert.ok(path);
    const ksText = (): string =>
      filesUnder(join(t.root, 'storage', 'keystore'))
        .map((f) => readFileSync(f, 'latin1'))
        .join('');
    const wrapped = new RegExp(`rk!${id}[^{]{0,4}\\{"v":1,"kid":1,"wrapped":"([A-Za-z0-9+/=]+)"`).exec(
      ksText(),
    )?.[1];
    assert.ok(
      wrapped !== undefined && wrapped.length > 40,
      'wrapped key found in the keystore files before erase',
    );
    await t.vault.erase(id);
    assert.equal(existsSync(path), false);
    assert.ok(!ksText().includes(wrapped), 'the wrapped key is still in a keystore file');
    assert.equal(await t.vault.has(id), false);
    await expectCode(t.vault.openReader(id), 'CV_ERR_VAULT_NOT_FOUND');
    await expectCode(t.vault.erase(id), 'CV_ERR_VAULT_NOT_FOUND');
    assert.deepEqual(await t.vault.listIds(), [keep]);
    await t.vault.verify(keep);
  });

  it('a container whose key was destroyed reads as CV_ERR_VAULT_KEY_DESTROYED and erase finishes the job', async () => {
    t.vault = await openTestVault(t.root);
    const id = await record(t.vault);
    const path = filesUnder(join(t.root, 'storage', 'recordings')).find((f) => f.includes(id)) as string;
    const copy = readFileSync(path);
    await t.vault.erase(id);
    writeFileSync(path, copy);
    await expectCode(t.vault.openReader(id), 'CV_ERR_VAULT_KEY_DESTROYED');
    await expectCode(t.vault.verify(id), 'CV_ERR_VAULT_KEY_DESTROYED');
    assert.equal(await t.vault.has(id), true);
    await t.vault.erase(id);
    assert.equal(existsSync(path), false);
  });

  it('imports a WAV with LIST and trailing chunks and exports it byte-identical', async () => {
    t.vault = await openTestVault(t.root);
    const input = wavWithList();
    const fin = await t.vault.importWav(input, { number: '+46701234567', startedAt: '2024-03-05T10:00:00Z' });
    assert.match(fin.path, /recordings\/2024\/03\/05\//);
    assert.equal(fin.durationMs, 1000);
    assert.deepEqual(fin.format, { encoding: 'pcm16', channels: 2, sampleRate: 16000 });
    const out = await (await t.vault.openReader(fin.id)).readAll();
    assert.ok(out.equals(input));
    assert.equal((await t.vault.verify(fin.id)).digest, fin.digest);
    const file = join(t.root, 'in.wav');
    const alaw = referenceWav(6, 1, 8000, noiseBytes(8001));
    writeFileSync(file, alaw);
    const fin2 = await t.vault.importWav(file, {}, new Date('2023-01-02T00:00:00Z'));
    assert.ok((await (await t.vault.openReader(fin2.id)).readAll()).equals(alaw));
    assert.equal(fin2.startedAt.toISOString(), '2023-01-02T00:00:00.000Z');
  });

  it('rejects non-WAV, truncated and unsupported WAVs with CV_ERR_VAULT_BAD_WAV', async () => {
    t.vault = await openTestVault(t.root);
    const good = referenceWav(1, 1, 8000, sinePcm16(0.1, 8000, 440));
    const v = t.vault;
    await expectCode(v.importWav(Buffer.from('ID3 this is an mp3'), {}), 'CV_ERR_VAULT_BAD_WAV');
    await expectCode(v.importWav(good.subarray(0, good.length - 10), {}), 'CV_ERR_VAULT_BAD_WAV');
    const rate = Buffer.from(good);
    rate.writeUInt32LE(44100, 24);
    await expectCode(v.importWav(rate, {}), 'CV_ERR_VAULT_BAD_WAV');
    await expectCode(v.importWav(join(t.root, 'missing.wav'), {}), 'CV_ERR_VAULT_NOT_FOUND');
    assert.deepEqual(await v.listIds(), []);
  });

  it('metadata: record 0 is the creation metadata, updateMetadata supersedes it, readable while recording', async () => {
    t.vault = await openTestVault(t.root);
    const w = await t.vault.createRecording({ format: FORMAT, metadata: { consent: 'pending' } });
    w.append(sinePcm16(0.5, 8000, 440));
    await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(await t.vault.readMetadata(w.id), { consent: 'pending' });
    w.updateMetadata({ consent: 'given' });
    const fin = await w.finalize();
    assert.deepEqual(await t.vault.readMetadata(fin.id), { consent: 'given' });
    assert.deepEqual((await t.vault.openReader(fin.id)).metadata, { consent: 'given' });
    await expectCode(t.vault.readMetadata('not-an-id'), 'CV_ERR_VAULT_NOT_FOUND');
  });

  it('createRecording: explicit id, date directory from startedAt, duplicate id and bad format refused', async () => {
    t.vault = await openTestVault(t.root);
    const id = '0f8fad5b-d9cb-469f-a165-70867728950e';
    const w = await t.vault.createRecording({
      id,
      format: FORMAT,
      metadata: {},
      startedAt: new Date('2025-12-31T23:59:59Z'),
    });
    assert.match(w.path, new RegExp(`recordings/2025/12/31/${id}\\.wav\\.enc$`));
    await expectCode(t.vault.createRecording({ id, format: FORMAT, metadata: {} }), 'CV_ERR_VAULT_EXISTS');
    await w.finalize();
    await expectCode(t.vault.createRecording({ id, format: FORMAT, metadata: {} }), 'CV_ERR_VAULT_EXISTS');
    await expectCode(
      // @ts-expect-error: an encoding the vault does not support
      t.vault.createRecording({ format: { encoding: 'opus', channels: 1, sampleRate: 8000 }, metadata: {} }),
      'CV_ERR_VAULT_BAD_FORMAT',
    );
    await expectCode(
      t.vault.createRecording({ format: { ...FORMAT, sampleRate: 44100 }, metadata: {} }),
      'CV_ERR_VAULT_BAD_FORMAT',
    );
    assert.equal(await t.vault.has(id), true);
    assert.equal(await t.vault.has('../../etc/passwd'), false);
  });

  it('stats count containers and their bytes; sign/verifySignature use the appliance key', async () => {
    t.vault = await openTestVault(t.root);
    await record(t.vault);
    await record(t.vault);
    const s = await t.vault.stats();
    assert.equal(s.recordings, 2);
    assert.ok(s.bytesOnDisk > 2 * 16000 && s.keystoreBytes > 0);
    const sig = t.vault.sign(Buffer.from('audit head'));
    assert.equal(t.vault.verifySignature(Buffer.from('audit head'), sig), true);
    assert.equal(t.vault.verifySignature(Buffer.from('audit heat'), sig), false);
    assert.match(t.vault.publicKeyPem, /BEGIN PUBLIC KEY/);
  });

  it('storage dir problems are CV_ERR_VAULT_STORAGE', async () => {
    await expectCode(openTestVault(join(t.root, 'no', 'such')), 'CV_ERR_VAULT_STORAGE');
    writeFileSync(join(t.root, 'storage'), 'a file');
    await expectCode(openTestVault(t.root), 'CV_ERR_VAULT_STORAGE');
  });

  it('close is idempotent, leaves open writers recoverable, and later calls fail with CV_ERR_VAULT_CLOSED', async () => {
    t.vault = await openTestVault(t.root);
    const w = await t.vault.createRecording({ format: FORMAT, metadata: {} });
    w.append(sinePcm16(1, 8000, 440));
    const v = t.vault;
    await v.close();
    await v.close();
    await expectCode(() => w.append(Buffer.alloc(2)), 'CV_ERR_VAULT_CLOSED');
    await expectCode(v.listIds(), 'CV_ERR_VAULT_CLOSED');
    await expectCode(v.openReader(w.id), 'CV_ERR_VAULT_CLOSED');
    await expectCode(v.createRecording({ format: FORMAT, metadata: {} }), 'CV_ERR_VAULT_CLOSED');
    await expectCode(() => v.sign(Buffer.alloc(1)), 'CV_ERR_VAULT_CLOSED');
    t.vault = await openTestVault(t.root);
    const [r] = await t.vault.recover();
    assert.equal(r?.dataBytes, 16000);
  });
});
