/**
 * One process owns a storage directory at a time (LevelDB admits one anyway, but its error is
 * obscure). The lock is a file created with O_EXCL holding the owner's pid, and the owner keeps
 * it open for as long as it holds the lock.
 *
 * A lock is stale — and taken over, so crash recovery never needs a technician to delete a file
 * by hand — when its pid is not a process holding this storage. A live pid alone proves
 * nothing: after a reboot the pid in the file may belong to any process, even the daemon that
 * is now starting. So on Linux the process is checked: it holds the storage when one of its
 * open files (/proc/<pid>/fd) lies under this storage directory — the lock file itself, or
 * LevelDB's files, which an older callvault that closed its lock file still holds. A process
 * that cannot be inspected (another user's, without the right) is taken as a holder.
 */
import {
  closeSync,
  fstatSync,
  openSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { StorageLockedError, StorageLockError } from './errors.js';

export const LOCK_FILE = 'callvault.lock';

export interface StorageLock {
  readonly path: string;
  release(): void;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when `pid` has a file under `realDir` open; falls back to "alive" without /proc. */
export function holdsStorage(pid: number, realDir: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return statProcExists() ? false : pidAlive(pid);
    return true; // EACCES: another user's process; it may well be the owner
  }
  const prefix = `${realDir}/`;
  for (const fd of fds) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed while we looked
    }
    if (target.startsWith(prefix)) return true;
  }
  return false;
}

/** /proc is mounted (Linux); elsewhere only the pid can be checked. */
function statProcExists(): boolean {
  try {
    return statSync('/proc/self/fd').isDirectory();
  } catch {
    return false;
  }
}

function readPid(path: string): number {
  try {
    return Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
  } catch {
    return Number.NaN;
  }
}

/** The lock file's inode and the pid in it, or null when it vanished meanwhile. */
function inspect(path: string): { ino: number; pid: number } | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const ino = fstatSync(fd).ino;
    let pid = Number.NaN;
    try {
      pid = Number.parseInt(readFileSync(fd, 'utf8').trim(), 10);
    } catch {
      // unreadable: no valid pid, so stale
    }
    return { ino, pid };
  } finally {
    closeSync(fd);
  }
}

export function acquireLock(dir: string): StorageLock {
  const path = join(dir, LOCK_FILE);
  const realDir = realpathSync(dir);
  // Two attempts: the second after removing a stale lock.
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new StorageLockError(path, err);
      const found = inspect(path);
      if (found === null) continue;
      if (holdsStorage(found.pid, realDir)) throw new StorageLockedError(dir, found.pid);
      try {
        // Only the file judged stale: another process may have replaced it meanwhile.
        if (statSync(path).ino === found.ino) unlinkSync(path);
      } catch {
        // Another process raced us to the stale lock; the next attempt decides.
      }
      continue;
    }
    try {
      writeSync(fd, `${process.pid}\n`);
    } catch (err) {
      closeSync(fd);
      unlinkSync(path);
      throw new StorageLockError(path, err);
    }
    const heldFd = fd;
    let released = false;
    return {
      path,
      release(): void {
        if (released) return;
        released = true;
        if (readPid(path) === process.pid) unlinkSync(path);
        closeSync(heldFd);
      },
    };
  }
  throw new StorageLockedError(dir, readPid(path));
}
