/**
 * The set-up the API, console and scenario tests share: accounts made with `users add` before
 * the daemon starts, recordings imported from a WAV, and logins through the API.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ctl, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { call, json } from '../helpers/https.js';

/** [name, role, agent extension (for agents)]. */
export type UserSpec = readonly [name: string, role: string, agent?: string | null];

/** The password the API tests give `name` unless they test passwords themselves. */
export const longPassword = (name: string): string => `${name}-long-password`;

/** The console and API-security tests' passwords: a passphrase, as the console's users would pick. */
export const passphrase = (name: string): string => `${name} has a long passphrase`;

/** The scenario tests' passwords: people there have their own passphrase. */
export const personalPassphrase = (name: string): string => `${name} has a personal passphrase`;

/** `callvaultctl users add` for each user, the password (from `password`) on stdin. */
export async function addUsers(
  sets: readonly string[],
  users: readonly UserSpec[],
  password: (name: string) => string = longPassword,
): Promise<void> {
  for (const [name, role, agent] of users) {
    const extra = agent === null || agent === undefined ? [] : ['--agent', agent];
    const r = await ctl(sets, ['users', 'add', name, '--role', role, ...extra, '--password-stdin'], {
      stdin: password(name),
    });
    assert.equal(r.code, 0, r.stderr);
  }
}

/** `callvaultctl import WAV --meta …`: the new recording's id. */
export async function importRecording(
  sets: readonly string[],
  wav: string,
  meta: Readonly<Record<string, unknown>>,
): Promise<string> {
  const r = await ctl(sets, ['import', wav, '--meta', JSON.stringify(meta)]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

/** https://127.0.0.1:PORT/api/v1 of a started daemon. */
export function apiBase(daemon: RunningDaemon): string {
  if (daemon.apiUrl === null) throw new Error('the daemon has no API listener');
  return `${daemon.apiUrl}/api/v1`;
}

/** POST /session as `name`: the bearer token. */
export async function login(
  base: string,
  name: string,
  password: string = longPassword(name),
): Promise<string> {
  const r = await call(`${base}/session`, { method: 'POST', json: { username: name, password } });
  assert.equal(r.status, 200, r.body.toString());
  return String(json(r)['token']);
}

/** Every file below `dir` (the storage scans at the end of the scenarios). */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

export interface StaffedDaemon {
  readonly daemon: RunningDaemon;
  /** https://127.0.0.1:PORT/api/v1 */
  readonly base: string;
  /** A logged-in token per user, by name. */
  readonly tokens: Readonly<Record<string, string>>;
}

/**
 * A scenario's opening: its people get accounts with their own passphrases, the daemon starts
 * and every one of them logs in through the API.
 */
export async function startStaffed(sets: string[], users: readonly UserSpec[]): Promise<StaffedDaemon> {
  await addUsers(sets, users, personalPassphrase);
  const daemon = await startDaemon(sets);
  const base = apiBase(daemon);
  const tokens: Record<string, string> = {};
  for (const [name] of users) tokens[name] = await login(base, name, personalPassphrase(name));
  return { daemon, base, tokens };
}
