/**
 * `callvaultctl grant add USER --until ISO-TIME [--reason TEXT] | grant list [--all] [--json] |
 * grant revoke GRANT-ID [--reason TEXT]` (ARCHITECTURE ✦ Commands): the DPO's grants, through
 * the daemon when it runs. A reason is optional (the contract's form) but, when given, audited.
 */
import { EXIT_OK } from '../common/index.js';
import { parseCommand, UsageError } from './args.js';
import type { CliCommand } from './context.js';
import { json as toJson, table } from './output.js';

const USAGE =
  'grant add USER --until ISO-TIME [--reason TEXT] | grant list [--all] [--json] | grant revoke GRANT-ID [--reason TEXT]';

export const grantCommand: CliCommand = async ({ config, sub, more, p, call }) => {
  const { values, positionals } = parseCommand(more, {
    until: { type: 'string' },
    reason: { type: 'string' },
    all: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  switch (sub) {
    case 'add': {
      const user = positionals[0];
      if (user === undefined || typeof values['until'] !== 'string') throw new UsageError(USAGE);
      const { result: g } = await call(config, 'grant.add', {
        user,
        until: values['until'],
        reason: values['reason'],
      });
      p.out(g.id);
      p.err(`granted ${g.user} access until ${g.until}${g.pseudonymised ? ' (training copies only)' : ''}`);
      return EXIT_OK;
    }
    case 'list': {
      const { result: rows } = await call(config, 'grant.list', { all: values['all'] === true });
      if (values['json'] === true) p.out(toJson(rows));
      else
        p.out(
          table([
            ['ID', 'USER', 'UNTIL', 'STATE', 'SCOPE', 'BY', 'REASON'],
            ...rows.map((g) => [
              g.id,
              g.user,
              g.until,
              g.inForce ? 'in force' : 'expired',
              g.pseudonymised ? 'training copies' : 'recordings',
              g.grantedBy,
              g.reason ?? '-',
            ]),
          ]),
        );
      return EXIT_OK;
    }
    case 'revoke': {
      const id = positionals[0];
      if (id === undefined) throw new UsageError(USAGE);
      await call(config, 'grant.revoke', { id, reason: values['reason'] });
      p.out(`revoked ${id}`);
      return EXIT_OK;
    }
    default:
      throw new UsageError(USAGE);
  }
};
