/**
 * The opening and closing every staffed scenario shares: one temp dir and storage.dir for the
 * whole file, the scenario's people given accounts with their own passphrases, the daemon
 * started and everyone logged in before the first test (startStaffed); after the last test the
 * daemon is killed and the dir removed. Tests run in order and build on each other's state.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isolatedSets, type RunningDaemon } from '../helpers/daemon.js';
import { startStaffed, type UserSpec } from '../kit/index.js';

export interface StaffedScenario {
  /** storage.dir */
  readonly storage: string;
  readonly sets: string[];
  /** The running daemon; a test that restarts it puts the new one here (after() stops it). */
  daemon: RunningDaemon;
  /** https://127.0.0.1:PORT/api/v1 */
  readonly base: string;
  /** A logged-in token per user, by name. */
  readonly tokens: Readonly<Record<string, string>>;
}

/** Call inside the scenario's describe(): registers its before/after hooks there. */
export function staffedScenario(
  prefix: string,
  extraSets: readonly string[],
  users: readonly UserSpec[],
): StaffedScenario {
  const s = {} as { -readonly [K in keyof StaffedScenario]: StaffedScenario[K] } & { dir?: string };
  before(async function () {
    this.timeout(120_000);
    s.dir = mkdtempSync(join(tmpdir(), prefix));
    s.storage = join(s.dir, 'storage');
    s.sets = await isolatedSets(s.storage, extraSets);
    ({ daemon: s.daemon, base: s.base, tokens: s.tokens } = await startStaffed(s.sets, users));
  });
  after(async () => {
    await s.daemon?.stop('SIGKILL');
    if (s.dir !== undefined) rmSync(s.dir, { recursive: true, force: true });
  });
  return s;
}
