import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { acquireLock, LOCK_FILE } from '../../../agent/src/storage/lock.js';
import { StorageLockedError } from '../../../agent/src/storage/errors.js';

describe('storage/lock', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cv-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates an owner-only lock file holding our pid, and release removes it', () => {
    const lock = acquireLock(dir);
    const path = join(dir, LOCK_FILE);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    lock.release();
    lock.release();
    assert.equal(existsSync(path), false);
  });

  it('refuses a second holder while the first is alive', () => {
    const lock = acquireLock(dir);
    assert.throws(
      () => acquireLock(dir),
      (err: unknown) => {
        assert.ok(err instanceof StorageLockedError);
        assert.equal(err.code, 'CV_ERR_STORAGE_LOCKED');
        assert.equal(err.context['pid'], process.pid);
        return true;
      },
    );
    lock.release();
  });

  it('takes over a lock left by a dead process', () => {
    // A pid that surely existed and is gone: a child that has already exited.
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const deadPid = Number(child.stdout.toString());
    writeFileSync(join(dir, LOCK_FILE), `${deadPid}\n`);
    const lock = acquireLock(dir);
    lock.release();
  });
});
