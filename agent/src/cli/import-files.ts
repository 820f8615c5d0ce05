/**
 * `callvaultctl import FILE.wav… [--meta JSON]`: migrates legacy WAV recordings, one or a whole
 * folder's worth. Each file's metadata is `--meta` (the same for all) or, without it, the JSON
 * file beside the WAV (`call1.wav` → `call1.json`), as a legacy recorder's export usually has.
 * Every file is tried: one that cannot be read or is refused is named with its error code and
 * the others still go in, so nothing is silently skipped; the exit code is the worst failure's
 * (1 for a user error such as bad metadata).
 * Progress ("import: 3/40 (7%)") goes to stderr like verify's; stdout lists the new ids, one a
 * line, in the order of the files.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Config } from '../config/index.js';
import { CallvaultError, EXIT_OK, exitCodeFor } from '../common/index.js';
import { UsageError } from './args.js';
import type { runStorageCommand } from './run-command.js';
import type { Printer } from './output.js';
import { seconds } from './output.js';
import type { ProgressFn } from './progress.js';

/** The metadata file beside a WAV, when one is there. */
export function sidecarMeta(file: string): string | undefined {
  const json = file.replace(/\.wav$/i, '.json');
  return json !== file && existsSync(json) ? readFileSync(json, 'utf8') : undefined;
}

export async function importFiles(
  config: Config,
  files: readonly string[],
  meta: string | undefined,
  p: Printer,
  call: typeof runStorageCommand,
  onProgress?: ProgressFn,
): Promise<number> {
  if (files.length === 0) throw new UsageError('import FILE.wav [FILE.wav…] [--meta JSON]');
  const pcap = files.find((f) => /\.pcapng?$/i.test(f));
  if (pcap !== undefined)
    throw new UsageError(`pcap import is not available yet: only WAV files can be imported (${pcap})`);
  let failed = 0;
  let worst = EXIT_OK;
  for (const [i, file] of files.entries()) {
    try {
      let wav: Buffer;
      try {
        wav = readFileSync(file);
      } catch (err) {
        throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }
      const { result } = await call(config, 'import', { meta: meta ?? sidecarMeta(file) }, { upload: wav });
      const r = result;
      p.out(r.id);
      p.err(`imported ${file} as ${r.id} (${seconds(r.durationMs)})`);
    } catch (err) {
      // A single file keeps the old behaviour: its error is the command's error.
      if (files.length === 1 || !(err instanceof CallvaultError)) throw err;
      failed++;
      worst = Math.max(worst, exitCodeFor(err));
      p.err(`not imported: ${file}: ${err.message} [${err.code}]`);
    }
    onProgress?.(i + 1, files.length);
  }
  if (failed > 0) {
    p.err(`${failed} of ${files.length} files not imported (named above); the others are in the vault`);
  }
  return worst;
}
