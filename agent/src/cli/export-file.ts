/**
 * `callvaultctl export`: decrypts one recording into a WAV file. The output is checked before
 * the daemon is asked (an existing file is kept unless --force; a missing directory is the
 * technician's typo, exit 1), and written under a temporary name renamed at the end, so a
 * failed (tampered) export never leaves a half file that looks like a good recording.
 */
import { closeSync, existsSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Config } from '../config/index.js';
import { OutputDirMissingError, OutputExistsError, OutputUnwritableError } from './errors.js';
import { runStorageCommand } from './run-command.js';
import type { Printer } from './output.js';

/** Throws the user error for an output that must not or cannot be written. */
export function checkOutput(out: string, force: boolean): void {
  const dir = dirname(resolve(out));
  if (!existsSync(dir)) throw new OutputDirMissingError(dir);
  if (!statSync(dir).isDirectory()) throw new OutputDirMissingError(dir);
  if (existsSync(out)) {
    if (!force) throw new OutputExistsError(out);
    if (statSync(out).isDirectory()) throw new OutputUnwritableError(out, 'it is a directory');
  }
}

function openTemp(tmp: string, out: string): number {
  try {
    return openSync(tmp, 'wx', 0o600);
  } catch (err) {
    throw new OutputUnwritableError(out, (err as NodeJS.ErrnoException).code ?? String(err));
  }
}

/**
 * Runs `fill` with a writer into `out`'s temporary twin (`out.partial-<pid>`, created 0600, never
 * an existing file) and renames it over `out` once `fill` resolves; on any failure the twin is
 * removed, so a failed download never leaves a short file that looks whole.
 */
export async function writeAtomically<T>(
  out: string,
  fill: (write: (chunk: Uint8Array) => void) => Promise<T>,
): Promise<T> {
  const tmp = `${out}.partial-${process.pid}`;
  const fd = openTemp(tmp, out);
  let ok = false;
  try {
    const result = await fill((chunk) => {
      writeSync(fd, chunk);
    });
    closeSync(fd);
    renameSync(tmp, out);
    ok = true;
    return result;
  } finally {
    if (!ok) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
      try {
        unlinkSync(tmp);
      } catch {
        // nothing written
      }
    }
  }
}

export async function exportTo(
  config: Config,
  id: string,
  out: string,
  opts: { reason: string | undefined; force: boolean; timeoutMs: number | undefined },
  p: Printer,
): Promise<void> {
  checkOutput(out, opts.force);
  const { result: r } = await writeAtomically(out, (write) =>
    runStorageCommand(
      config,
      'export',
      { id, reason: opts.reason },
      { timeoutMs: opts.timeoutMs, onDownload: write },
    ),
  );
  p.out(`exported ${id} to ${out} (${r.bytes} bytes, sha256 ${r.digest ?? 'n/a'})`);
}
