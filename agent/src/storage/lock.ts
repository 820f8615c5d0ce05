/**
 * One process owns a storage directory at a time (LevelDB admits one anyway, but its error is
 * obscure). The lock is a file created with O_EXCL holding the owner's pid. A lock whose pid
 * is no longer alive is stale (kill -9, power loss) and is taken over — the crash-recovery path
 * must never need a technician to delete a file by hand.
 */
import { openSync, writeSync, closeSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { StorageLockedError, StorageLockError } from './errors.js';

export const LOCK_FILE = 'callvault.lock';

export interface StorageLock {
  readonly path: string;
  release(): void;
}

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(path: string): number {
  try {
    return Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
  } catch {
    return Number.NaN;
  }
}

export function acquireLock(dir: string): StorageLock {
  const path = join(dir, LOCK_FILE);
  // Two attempts: the second after removing a stale lock left by a dead process.
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      return {
        path,
        release(): void {
          if (released) return;
          released = true;
          if (readPid(path) === process.pid) unlinkSync(path);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new StorageLockError(path, err);
      const pid = readPid(path);
      if (pid === process.pid || pidAlive(pid)) throw new StorageLockedError(dir, pid);
      try {
        unlinkSync(path);
      } catch {
        // Another process raced us to the stale lock; the next attempt decides.
      }
    }
  }
  throw new StorageLockedError(dir, readPid(path));
}
