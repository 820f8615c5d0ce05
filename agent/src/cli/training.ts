/**
 * `callvaultctl training-copy ID [--reason TEXT]` (ARCHITECTURE ✦ Commands): a pseudonymised
 * training copy of a recording, through the daemon when it runs; prints the copy's id.
 */
import { EXIT_OK } from '../common/index.js';
import { parseCommand, UsageError } from './args.js';
import type { CliCommand } from './context.js';
import { seconds } from './output.js';

export const trainingCopyCommand: CliCommand = async ({ config, rest, p, call }) => {
  const { values, positionals } = parseCommand(rest, { reason: { type: 'string' } });
  const id = positionals[0];
  if (id === undefined) throw new UsageError('training-copy ID [--reason TEXT]');
  const { result: r } = await call(config, 'training-copy', { id, reason: values['reason'] });
  p.out(r.id);
  p.err(`training copy ${r.id} of ${id} (${seconds(r.durationMs)}, ${r.maskedSpans} DTMF span(s) silenced)`);
  return EXIT_OK;
};
