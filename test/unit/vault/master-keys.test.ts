import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { appendMasterKey, loadMasterKeyring, parseKeyring } from '../../../agent/src/vault/master-keys.js';
import { expectCode, removeDir, tempDir } from './helpers.js';

const HEX = 'a1'.repeat(32);

describe('vault/master-keys', () => {
  let root: string;
  beforeEach(() => {
    root = tempDir();
  });
  afterEach(() => removeDir(root));

  it('parses key lines; the last line is current; comments and blank lines are skipped', () => {
    const r = parseKeyring(`# provisioned\n1 ${HEX}\n\n3 ${'b2'.repeat(32)}\n`, 'p');
    assert.equal(r.currentKeyId, 3);
    assert.deepEqual([...r.keys.keys()], [1, 3]);
  });

  it('rejects malformed lines, duplicate ids and empty files with CV_ERR_VAULT_KEY_FORMAT naming the line, not the key', async () => {
    for (const text of [
      `1 ${HEX.slice(2)}\n`,
      `0 ${HEX}\n`,
      `x ${HEX}\n`,
      `1 ${HEX}\n1 ${HEX}\n`,
      '\n',
      `1 ${HEX} extra\n`,
    ]) {
      const err = await expectCode(() => parseKeyring(text, '/k'), 'CV_ERR_VAULT_KEY_FORMAT');
      assert.ok(!err.message.includes(HEX.slice(0, 16)));
    }
  });

  it('creates a missing key file 0600 in a 0700 directory with key id 1', async () => {
    const path = join(root, 'd', 'e', 'master.key');
    const ring = await loadMasterKeyring({ masterKeyFile: path, credentialName: 'c' }, true);
    assert.equal(ring.created, true);
    assert.equal(ring.currentKeyId, 1);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(root, 'd', 'e')).mode & 0o777, 0o700);
    await expectCode(
      loadMasterKeyring({ masterKeyFile: join(root, 'nope'), credentialName: 'c' }, false),
      'CV_ERR_VAULT_KEY_MISSING',
    );
  });

  it('refuses a FIFO (or a directory) as key file with CV_ERR_VAULT_KEY_NOT_REGULAR instead of hanging', async () => {
    const fifo = join(root, 'master.key');
    execFileSync('mkfifo', ['-m', '0600', fifo]);
    // Opening a FIFO for reading blocks until a writer comes: bound the wait.
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('loading a FIFO key file hung')), 3000);
    });
    try {
      await expectCode(
        () => Promise.race([loadMasterKeyring({ masterKeyFile: fifo, credentialName: 'c' }, true), hung]),
        'CV_ERR_VAULT_KEY_NOT_REGULAR',
      );
    } finally {
      clearTimeout(timer);
    }
    const dir = join(root, 'keydir');
    mkdirSync(dir, { mode: 0o700 });
    await expectCode(
      () => loadMasterKeyring({ masterKeyFile: dir, credentialName: 'c' }, true),
      'CV_ERR_VAULT_KEY_NOT_REGULAR',
    );
  });

  it('rejects group/world access with CV_ERR_VAULT_KEY_PERMISSIONS', async () => {
    const path = join(root, 'master.key');
    writeFileSync(path, `1 ${HEX}\n`, { mode: 0o600 });
    for (const mode of [0o644, 0o640, 0o604, 0o660]) {
      chmodSync(path, mode);
      const err = await expectCode(
        loadMasterKeyring({ masterKeyFile: path, credentialName: 'c' }, true),
        'CV_ERR_VAULT_KEY_PERMISSIONS',
      );
      assert.equal((err as unknown as { context: { path: string } }).context.path, path);
    }
    chmodSync(path, 0o400);
    assert.equal(
      (await loadMasterKeyring({ masterKeyFile: path, credentialName: 'c' }, true)).currentKeyId,
      1,
    );
  });

  it('prefers the systemd credential and refuses to rotate it (CV_ERR_VAULT_KEY_READONLY)', async () => {
    mkdirSync(join(root, 'creds'));
    writeFileSync(join(root, 'creds', 'cv'), `4 ${HEX}\n`, { mode: 0o440 });
    const ring = await loadMasterKeyring(
      {
        masterKeyFile: join(root, 'file.key'),
        credentialName: 'cv',
        credentialsDirectory: join(root, 'creds'),
      },
      true,
    );
    assert.equal(ring.source, 'credential');
    assert.equal(ring.currentKeyId, 4);
    await expectCode(appendMasterKey(ring), 'CV_ERR_VAULT_KEY_READONLY');
  });

  it('rotation appends a new current key id to the file', async () => {
    const path = join(root, 'master.key');
    writeFileSync(path, `1 ${HEX}`, { mode: 0o600 });
    const ring = await loadMasterKeyring({ masterKeyFile: path, credentialName: 'c' }, true);
    const next = await appendMasterKey(ring);
    assert.equal(next.currentKeyId, 2);
    const reread = parseKeyring(readFileSync(path, 'utf8'), path);
    assert.equal(reread.currentKeyId, 2);
    assert.ok(reread.keys.get(2)?.equals(next.keys.get(2) as Buffer));
  });
});
