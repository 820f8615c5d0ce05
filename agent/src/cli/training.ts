/**
 * `callvaultctl training-copy ID [--reason TEXT]` (ARCHITECTURE ✦ Commands): a pseudonymised
 * training copy of a recording, through the daemon when it runs; prints the copy's id.
 */
import { EXIT_OK } from '../common/index.js';
import type { Config } from '../config/index.js';
import { parseCommand, UsageError } from './args.js';
import { seconds, type Printer } from './output.js';
import { runStorageCommand } from './run-command.js';

export async function trainingCopyCommand(
  config: Config,
  words: readonly string[],
  p: Printer,
  call: typeof runStorageCommand = runStorageCommand,
): Promise<number> {
  const { values, positionals } = parseCommand(words, { reason: { type: 'string' } });
  const id = positionals[0];
  if (id === undefined) throw new UsageError('training-copy ID [--reason TEXT]');
  const { result: r } = await call(config, 'training-copy', { id, reason: values['reason'] });
  p.out(r.id);
  p.err(`training copy ${r.id} of ${id} (${seconds(r.durationMs)}, ${r.maskedSpans} DTMF span(s) silenced)`);
  return EXIT_OK;
}
