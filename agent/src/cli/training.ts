/**
 * `callvaultctl training-copy ID [--reason TEXT]` (ARCHITECTURE ✦ Commands): a pseudonymised
 * training copy of a recording, through the daemon when it runs; prints the copy's id.
 */
import { EXIT_OK } from '../common/index.js';
import { parseCommand, UsageError } from './args.js';
import type { CliCommand } from './context.js';
import { registerHelp } from './help.js';
import { seconds } from './output.js';

registerHelp({
  name: 'training-copy',
  args: 'ID',
  summary:
    'make a pseudonymised training copy (no number, names, agent or case; DTMF silenced); prints its id',
  options: [{ flag: '--reason TEXT', text: 'why (optional; at least 5 visible characters; audited)' }],
  example: 'callvaultctl training-copy 3f1c2a9e-… --reason "onboarding set 2027-02"',
});

export const trainingCopyCommand: CliCommand = async ({ config, rest, p, call }) => {
  const { values, positionals } = parseCommand(rest, { reason: { type: 'string' } });
  const id = positionals[0];
  if (id === undefined) throw new UsageError('training-copy ID [--reason TEXT]');
  const { result: r } = await call(config, 'training-copy', { id, reason: values['reason'] });
  p.out(r.id);
  p.err(`training copy ${r.id} of ${id} (${seconds(r.durationMs)}, ${r.maskedSpans} DTMF span(s) silenced)`);
  return EXIT_OK;
};
