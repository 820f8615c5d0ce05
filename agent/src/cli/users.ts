/** `callvaultctl users add|list|disable|enable|remove|passwd` (ARCHITECTURE ✦ Commands). */
import { parseCommand, UsageError } from './args.js';
import type { CliCommand } from './context.js';
import { json as toJson, table } from './output.js';

const USAGE =
  'users add NAME --role ROLE [--agent ID] --password-stdin | users list [--json] | ' +
  'users disable|enable|remove NAME | users passwd NAME --password-stdin | users totp NAME [--off]';

/** The password comes on stdin only: never in argv (visible in ps) or the shell history. */
async function readPassword(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export const usersCommand: CliCommand = async ({ config, sub, more, p, call }) => {
  const { values, positionals } = parseCommand(more, {
    role: { type: 'string' },
    agent: { type: 'string' },
    'password-stdin': { type: 'boolean' },
    json: { type: 'boolean' },
    off: { type: 'boolean' },
  });
  const name = positionals[0];
  switch (sub) {
    case 'list': {
      const { result: users } = await call(config, 'users.list', {});
      if (values['json'] === true) p.out(toJson(users));
      else
        p.out(
          table([
            ['NAME', 'ROLE', 'AGENT', 'CREATED', 'STATE'],
            ...users.map((u) => [
              u.username,
              u.role,
              u.agentId ?? '-',
              u.createdAt,
              u.disabled ? 'disabled' : 'enabled',
            ]),
          ]),
        );
      return 0;
    }
    case 'add':
    case 'passwd': {
      if (name === undefined || values['password-stdin'] !== true) throw new UsageError(USAGE);
      const password = await readPassword();
      const args =
        sub === 'add' ? { name, role: values['role'], agent: values['agent'], password } : { name, password };
      const { result } = await call(config, `users.${sub}`, args);
      const r = result;
      p.out(
        sub === 'add' ? `user ${r.username} added with role ${r.role}` : `password of ${r.username} changed`,
      );
      return 0;
    }
    case 'disable':
    case 'enable':
    case 'remove': {
      if (name === undefined) throw new UsageError(USAGE);
      await call(config, `users.${sub}`, { name });
      p.out(`user ${name} ${sub === 'remove' ? 'removed' : `${sub}d`}`);
      return 0;
    }
    case 'totp': {
      if (name === undefined) throw new UsageError(USAGE);
      const off = values['off'] === true;
      const { result } = await call(config, 'users.totp', { name, off });
      if (off) p.out(`second factor of ${name} removed`);
      else if ('uri' in result) {
        // Shown once: the secret is stored sealed and never printed again.
        const r = result;
        p.out(
          `second factor of ${name} enrolled; add it to an authenticator app:\n${r.uri}\nsecret: ${r.secret}`,
        );
      }
      return 0;
    }
    default:
      throw new UsageError(USAGE);
  }
};
