/**
 * `callvaultctl dsar export NUMBER -o FILE --reason TEXT`: the data subject's archive, through
 * the daemon when it runs. Written under a temporary name and renamed when complete, so a failed
 * export never leaves a short archive that looks whole; an existing file is kept unless --force,
 * as for `export`. Progress goes to stderr as audio files
 * start, at most once a second and always for the last (the manifest, first in the archive, says
 * how many there are).
 */
import { EXIT_OK, TarFollower } from '../common/index.js';
import type { Config } from '../config/index.js';
import { parseCommand, UsageError } from './args.js';
import type { Printer } from './output.js';
import { runStorageCommand } from './run-command.js';
import { checkOutput, writeAtomically } from './export-file.js';

const USAGE = 'dsar export NUMBER -o FILE.tar --reason TEXT [--force]';
const MANIFEST = 'manifest.json';
/** At most one progress line per this many ms (and always the last): thousands of calls stay readable. */
const PROGRESS_EVERY_MS = 1000;

function progress(p: Printer): TarFollower {
  const manifest: Buffer[] = [];
  let total: number | null = null;
  let done = 0;
  let bytes = 0;
  let lastMs = 0;
  return new TarFollower({
    wantData: (e) => e.path === MANIFEST,
    onData: (_e, chunk) => manifest.push(Buffer.from(chunk)),
    onEntry: (e) => {
      if (e.path === MANIFEST) return;
      if (total === null) {
        try {
          const m = JSON.parse(Buffer.concat(manifest).toString('utf8')) as {
            recordings?: { audioFile?: unknown }[];
          };
          total = (m.recordings ?? []).filter((r) => typeof r.audioFile === 'string').length;
        } catch {
          total = 0;
        }
      }
      done++;
      bytes += e.size;
      const now = Date.now();
      if (done !== total && now - lastMs < PROGRESS_EVERY_MS) return;
      lastMs = now;
      p.err(`dsar: audio ${done}/${total} (${(bytes / 1e6).toFixed(1)} MB)`);
    },
  });
}

export async function dsarCommand(
  config: Config,
  sub: string | undefined,
  words: readonly string[],
  p: Printer,
  timeoutMs: number | undefined,
): Promise<number> {
  const { values, positionals } = parseCommand(words, {
    output: { type: 'string', short: 'o' },
    reason: { type: 'string' },
    force: { type: 'boolean' },
  });
  const number = positionals[0];
  const out = values['output'];
  if (sub !== 'export' || number === undefined || typeof out !== 'string') throw new UsageError(USAGE);
  checkOutput(out, values['force'] === true);
  const follow = progress(p);
  const { result: r } = await writeAtomically(out, (write) =>
    runStorageCommand(
      config,
      'dsar.export',
      { number, reason: values['reason'] },
      {
        timeoutMs,
        onDownload: (chunk) => {
          write(chunk);
          follow.push(chunk);
        },
      },
    ),
  );
  p.out(
    `exported ${r.recordings} recording(s) (${r.audioFiles} audio file(s)) of ${r.number} to ${out} (${r.bytes} bytes)`,
  );
  return EXIT_OK;
}
