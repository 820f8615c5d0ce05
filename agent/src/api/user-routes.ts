/**
 * Account administration for admins: GET/POST /users, PATCH/DELETE /users/{name} and the
 * sessions of a user (GET/DELETE /users/{name}/sessions[/{id}]). The verbs are index/'s, shared
 * with `callvaultctl users`; here the sessions they affect are ended in the same request (the
 * per-request account check would end them anyway, this frees them at once).
 */
import express, { type Router } from 'express';
import type { Storage } from '../storage/index.js';
import {
  addAccount,
  changeAccountPassword,
  isValidUsername,
  listAccounts,
  removeAccount,
  setAccountDisabled,
  type AccountActor,
  type Role,
  type UserView,
} from '../index/index.js';
import type { Request } from 'express';
import { requireRole, userOf } from './access.js';
import { HttpError } from './http-errors.js';
import { handle } from './handle.js';
import type { SessionStore } from './sessions.js';

const ROLES: readonly Role[] = ['agent', 'supervisor', 'admin', 'qa', 'dpo'];

const bad = (why: string): HttpError => new HttpError(400, 'CV_ERR_API_BAD_REQUEST', why);

function admin(req: Request): AccountActor {
  const user = userOf(req);
  requireRole(user, ['admin'], 'manage users');
  return { name: user.username, role: user.role, from: req.ip ?? null };
}

function nameParam(req: Request): string {
  const name = req.params['name'];
  if (!isValidUsername(name)) throw bad('user name must be 1-64 of A-Z a-z 0-9 . _ @ -');
  return name;
}

function body(req: Request): Record<string, unknown> {
  const b: unknown = req.body;
  if (typeof b !== 'object' || b === null || Array.isArray(b)) throw bad('a JSON object body is required');
  return b as Record<string, unknown>;
}

function notSelf(req: Request, name: string): void {
  if (userOf(req).username === name)
    throw new HttpError(409, 'CV_ERR_API_SELF', 'an admin cannot disable or remove their own account');
}

export function userRoutes(storage: Storage, sessions: SessionStore): Router {
  const r = express.Router();
  const index = storage.index;
  const withSessions = (u: UserView): UserView & { sessions: number } => ({
    ...u,
    sessions: sessions.list(u.username).length,
  });

  r.get(
    '/users',
    handle(async (req, res) => {
      admin(req);
      res.json({ items: (await listAccounts(index)).map(withSessions) });
    }),
  );
  r.post(
    '/users',
    handle(async (req, res) => {
      const actor = admin(req);
      const b = body(req);
      if (!isValidUsername(b['username'])) throw bad('username must be 1-64 of A-Z a-z 0-9 . _ @ -');
      if (typeof b['role'] !== 'string' || !(ROLES as readonly string[]).includes(b['role']))
        throw bad(`role must be one of ${ROLES.join(', ')}`);
      if (typeof b['password'] !== 'string') throw bad('password is required');
      const agentId = b['agentId'] ?? null;
      if (agentId !== null && typeof agentId !== 'string') throw bad('agentId must be text or null');
      if (b['role'] === 'agent' && agentId === null) throw bad('an agent account needs agentId');
      const user = await addAccount(index, actor, {
        username: b['username'],
        role: b['role'] as Role,
        agentId,
        password: b['password'],
      });
      res.status(201).json(withSessions(user));
    }),
  );
  r.patch(
    '/users/:name',
    handle(async (req, res) => {
      const actor = admin(req);
      const name = nameParam(req);
      const b = body(req);
      const disabled = b['disabled'];
      const password = b['password'];
      if (disabled !== undefined && typeof disabled !== 'boolean')
        throw bad('disabled must be true or false');
      if (password !== undefined && typeof password !== 'string') throw bad('password must be text');
      if (disabled === undefined && password === undefined)
        throw bad('nothing to change: disabled or password');
      if (disabled === true) notSelf(req, name);
      let user: UserView | null = null;
      if (password !== undefined) user = await changeAccountPassword(index, actor, name, password);
      if (disabled !== undefined) user = await setAccountDisabled(index, actor, name, disabled);
      // A new password or a disabled account ends the sessions opened before it.
      sessions.revokeUser(name);
      res.json(withSessions(user!));
    }),
  );
  r.delete(
    '/users/:name',
    handle(async (req, res) => {
      const actor = admin(req);
      const name = nameParam(req);
      notSelf(req, name);
      await removeAccount(index, actor, name);
      sessions.revokeUser(name);
      res.status(204).end();
    }),
  );
  r.get(
    '/users/:name/sessions',
    handle(async (req, res) => {
      admin(req);
      res.json({ items: sessions.list(nameParam(req)) });
    }),
  );
  r.delete(
    '/users/:name/sessions',
    handle(async (req, res) => {
      const actor = admin(req);
      const name = nameParam(req);
      const n = sessions.revokeUser(name);
      await index.appendAudit({
        actor: actor.name,
        role: actor.role,
        from: actor.from,
        action: 'session_revoke',
        detail: { username: name, sessions: n },
      });
      res.json({ revoked: n });
    }),
  );
  r.delete(
    '/users/:name/sessions/:id',
    handle(async (req, res) => {
      const actor = admin(req);
      const name = nameParam(req);
      const id = String(req.params['id']);
      if (!/^[0-9a-f]{16}$/.test(id)) throw bad('session id must be 16 hex digits');
      const n = sessions.revokeUser(name, id);
      if (n === 0) throw new HttpError(404, 'CV_ERR_API_NOT_FOUND', 'no such session');
      await index.appendAudit({
        actor: actor.name,
        role: actor.role,
        from: actor.from,
        action: 'session_revoke',
        detail: { username: name, session: id },
      });
      res.json({ revoked: n });
    }),
  );
  return r;
}
