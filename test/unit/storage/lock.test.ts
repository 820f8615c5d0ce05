import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { ROOT } from '../../helpers/daemon.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { acquireLock, LOCK_FILE } from '../../../agent/src/storage/lock.js';
import { StorageLockedError } from '../../../agent/src/storage/errors.js';
import { until } from '../../helpers/until.js';

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

  describe('a live pid is checked, not trusted', function () {
    this.timeout(20_000);
    let child: ChildProcess | null = null;
    afterEach(async () => {
      if (child !== null && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
      child = null;
    });

    it('takes over a lock whose pid is a live process that is not callvault on this storage', () => {
      child = spawn('sleep', ['30'], { stdio: 'ignore' });
      writeFileSync(join(dir, LOCK_FILE), `${child.pid}\n`);
      const lock = acquireLock(dir);
      assert.equal(Number(readFileSync(join(dir, LOCK_FILE), 'utf8')), process.pid);
      lock.release();
    });

    it('takes over a lock naming our own pid that we do not hold (the pid reused after a reboot)', () => {
      writeFileSync(join(dir, LOCK_FILE), `${process.pid}\n`);
      const lock = acquireLock(dir);
      lock.release();
    });

    it('refuses a lock held by a live callvault process on this storage', async () => {
      const script =
        "import { acquireLock } from './agent/src/storage/lock.ts';" +
        "acquireLock(process.argv[1]); process.stdout.write('held\\n'); setTimeout(() => {}, 30000);";
      child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dir], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
      await until(() => out.includes('held'), `the child holds the lock (${out})`, 15_000);
      assert.throws(
        () => acquireLock(dir),
        (err: unknown) => {
          assert.ok(err instanceof StorageLockedError);
          assert.equal(err.context['pid'], child?.pid);
          return true;
        },
      );
    });
  });
});
