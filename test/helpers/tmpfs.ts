/**
 * A small real tmpfs for the disk-full tests (a real ENOSPC, not a mocked one): mounted by the
 * test that needs it, unmounted after it. Mounting needs root and mount permission; without
 * them the test is skipped.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmdirSync } from 'node:fs';

export interface TmpfsMounts {
  /** Makes dir `path` and mounts a tmpfs of `size` (mount's -o size=, e.g. 512k, 4m) on it. */
  mount(test: Mocha.Context, path: string, size: string): string;
}

/**
 * Registers an afterEach (in the calling describe) that unmounts what its test mounted, after
 * `beforeUnmount` (closing what keeps files open there).
 */
export function useTmpfs(beforeUnmount: () => Promise<void> | void = () => undefined): TmpfsMounts {
  let mounted: string | undefined;
  afterEach(async () => {
    if (mounted === undefined) return;
    const path = mounted;
    mounted = undefined;
    await beforeUnmount();
    try {
      execFileSync('umount', [path], { stdio: 'ignore' });
      rmdirSync(path);
    } catch {
      // left for the OS temp cleaner; the test already failed or skipped
    }
  });
  return {
    mount(test, path, size) {
      mkdirSync(path);
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', path], { stdio: 'ignore' });
      } catch {
        test.skip();
      }
      mounted = path;
      return path;
    },
  };
}
