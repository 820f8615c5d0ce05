/**
 * `callvaultctl users add|list|disable|enable|remove|passwd`: the account verbs of index/, run by
 * the daemon (over the socket) or locally. A user disabled, removed or re-passworded here loses
 * its live API sessions at once: the API checks the stored account on every request.
 */
import { UserError } from '../common/index.js';
import {
  addAccount,
  changeAccountPassword,
  enrolTotp,
  isValidUsername,
  listAccounts,
  removeAccount,
  removeTotp,
  setAccountDisabled,
  type AccountActor,
  type Role,
} from '../index/index.js';
import type { Storage } from '../storage/index.js';
import type { ControlRequest } from './server.js';
import type { CommandName, ControlHandlers } from './commands.js';
import { text } from './args.js';

type UserHandlers = Pick<ControlHandlers, Extract<CommandName, `users.${string}`>>;

export const USER_ROLES: readonly Role[] = ['agent', 'supervisor', 'admin', 'qa', 'dpo'];

function userName(args: Record<string, unknown>): string {
  const v = text(args, 'name');
  if (!isValidUsername(v))
    throw new UserError('CV_ERR_CLI_BAD_ARG', 'NAME must be 1-64 of A-Z a-z 0-9 . _ @ -', {
      context: { key: 'name' },
    });
  return v;
}

function password(args: Record<string, unknown>): string {
  const v = text(args, 'password');
  if (v === undefined || v.length === 0)
    throw new UserError('CV_ERR_CLI_BAD_ARG', 'a password is required on stdin', {
      context: { key: 'password' },
    });
  return v;
}

export function userHandlers(storage: Storage, actorOf: (req: ControlRequest) => AccountActor): UserHandlers {
  const index = storage.index;
  return {
    'users.add': async (req) => {
      const role = text(req.args, 'role');
      if (role === undefined || !(USER_ROLES as readonly string[]).includes(role)) {
        throw new UserError('CV_ERR_CLI_BAD_ARG', `--role must be one of ${USER_ROLES.join(', ')}`, {
          context: { key: 'role' },
        });
      }
      const agentId = text(req.args, 'agent') ?? null;
      if (role === 'agent' && agentId === null) {
        throw new UserError(
          'CV_ERR_CLI_BAD_ARG',
          'an agent account needs --agent (its extension or AoR user)',
          {
            context: { key: 'agent' },
          },
        );
      }
      return addAccount(index, actorOf(req), {
        username: userName(req.args),
        role: role as Role,
        agentId,
        password: password(req.args),
      });
    },
    'users.list': async () => listAccounts(index),
    'users.disable': async (req) => setAccountDisabled(index, actorOf(req), userName(req.args), true),
    'users.enable': async (req) => setAccountDisabled(index, actorOf(req), userName(req.args), false),
    'users.remove': async (req) => {
      const name = userName(req.args);
      await removeAccount(index, actorOf(req), name);
      return { username: name, removed: true };
    },
    'users.totp': async (req) =>
      req.args['off'] === true
        ? removeTotp(index, actorOf(req), userName(req.args))
        : enrolTotp(index, actorOf(req), userName(req.args)),
    'users.passwd': async (req) =>
      changeAccountPassword(index, actorOf(req), userName(req.args), password(req.args)),
  };
}
