/**
 * `callvaultctl backup -o FILE` and `restore FILE`: the parts of an appliance that cannot be
 * rebuilt — the keystore (wrapped data keys, signing key, audit anchor), the master key, the
 * index (metadata, users, grants, the audit chain) and the config — in one tar. Recordings stay
 * where they are (they are large, and useless without these parts anyway).
 *
 * Only with the daemon stopped: the storage lock is taken for the whole copy, so LevelDB is not
 * copied while it is written and no daemon starts halfway (a daemon that runs makes both
 * commands fail with CV_ERR_STORAGE_LOCKED). Restore moves what it replaces aside
 * (`<name>.before-restore-<time>`) instead of deleting it; run as root, it gives the restored
 * files to the owner of storage.dir (the daemon's account).
 */
import { execFileSync } from 'node:child_process';
import {
  chownSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { productVersion } from '../common/index.js';
import { assertOwnership, type Config } from '../config/index.js';
import { acquireLock } from '../storage/index.js';
import { BackupExistsError, BackupInvalidError, BackupNoKeyError, BackupTarError } from './backup-errors.js';

/** What a backup holds besides its manifest, under these names. */
const DIRS = ['keystore', 'index'] as const;
const KEY = 'master.key';
const CONFIG = 'config.yaml';
const MANIFEST = 'manifest.json';
const FORMAT = 'callvault-backup/1';

interface Manifest {
  readonly format: string;
  readonly version: string;
  readonly createdAt: string;
  readonly storageDir: string;
  readonly masterKeyFile: string;
  readonly configFile: string;
}

function tar(args: readonly string[]): void {
  try {
    execFileSync('tar', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30 * 60_000 });
  } catch (err) {
    throw new BackupTarError(err);
  }
}

/** The key the daemon would use: the systemd credential when present, else the key file. */
function masterKeySource(config: Config): string {
  const creds = process.env['CREDENTIALS_DIRECTORY'];
  if (creds !== undefined && creds !== '' && existsSync(join(creds, config.keys.credential)))
    return join(creds, config.keys.credential);
  if (!existsSync(config.keys.master_key_file)) throw new BackupNoKeyError(config.keys.master_key_file);
  return config.keys.master_key_file;
}

/**
 * Runs `work` holding the storage lock (refused while a daemon or another CLI holds it). Root
 * may work on storage owned by the daemon's account: backup only reads, and restore hands what
 * it writes to that account (the one way to restore a key file into root's /etc/callvault).
 */
function withStorageLocked<T>(config: Config, work: () => T): T {
  if (process.geteuid?.() !== 0) assertOwnership(config);
  mkdirSync(config.storage.dir, { recursive: true, mode: 0o700 });
  const lock = acquireLock(config.storage.dir);
  try {
    return work();
  } finally {
    lock.release();
  }
}

export interface BackupSummary {
  readonly file: string;
  readonly parts: readonly string[];
}

export function backup(config: Config, out: string): BackupSummary {
  if (existsSync(out)) throw new BackupExistsError(out);
  return withStorageLocked(config, () => {
    const stage = mkdtempSync(join(dirname(out), '.callvault-backup-'));
    try {
      const manifest: Manifest = {
        format: FORMAT,
        version: productVersion(),
        createdAt: new Date().toISOString(),
        storageDir: config.storage.dir,
        masterKeyFile: config.keys.master_key_file,
        configFile: config.file,
      };
      writeFileSync(join(stage, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
      copyFileSync(masterKeySource(config), join(stage, KEY));
      copyFileSync(config.file, join(stage, CONFIG));
      const dirs = DIRS.filter((d) => existsSync(join(config.storage.dir, d)));
      // Written under a temporary name: a failed backup never looks like a good one.
      const partial = `${out}.partial-${process.pid}`;
      tar(['-cf', partial, '-C', stage, MANIFEST, KEY, CONFIG, '-C', config.storage.dir, ...dirs]);
      renameSync(partial, out);
      return { file: out, parts: [KEY, CONFIG, ...dirs] };
    } finally {
      rmSync(stage, { recursive: true, force: true });
    }
  });
}

export interface RestoreSummary {
  readonly restored: readonly string[];
  /** Paths the restore moved aside (what was there before). */
  readonly movedAside: readonly string[];
  /** Where the backed-up config was written (under storage.dir; the running config is never replaced). */
  readonly config: string;
  readonly createdAt: string;
}

function readManifest(file: string, stage: string): Manifest {
  let m: Partial<Manifest>;
  try {
    m = JSON.parse(readFileSync(join(stage, MANIFEST), 'utf8')) as Partial<Manifest>;
  } catch {
    throw new BackupInvalidError(file, `no readable ${MANIFEST}`);
  }
  if (m.format !== FORMAT)
    throw new BackupInvalidError(file, `format ${String(m.format)}, expected ${FORMAT}`);
  for (const part of [KEY, CONFIG])
    if (!existsSync(join(stage, part))) throw new BackupInvalidError(file, `${part} missing`);
  return m as Manifest;
}

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  if (lstatSync(path).isDirectory()) for (const e of readdirSync(path)) chownTree(join(path, e), uid, gid);
}

export function restore(config: Config, file: string): RestoreSummary {
  if (!existsSync(file)) throw new BackupInvalidError(file, 'no such file');
  return withStorageLocked(config, () => {
    const dir = config.storage.dir;
    // Extracted inside storage.dir so the final moves are renames on one file system.
    const stage = mkdtempSync(join(dir, '.restore-'));
    try {
      try {
        execFileSync('tar', ['-xf', file, '-C', stage, '--no-same-owner'], {
          stdio: ['ignore', 'ignore', 'pipe'],
        });
      } catch (err) {
        throw new BackupInvalidError(file, `tar cannot read it (${(err as Error).message.split('\n')[0]})`);
      }
      const manifest = readManifest(file, stage);
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const owner = statSync(dir);
      const asOwner = (p: string): void => {
        if (process.geteuid?.() === 0 && owner.uid !== 0) chownTree(p, owner.uid, owner.gid);
      };
      const moved: string[] = [];
      const restored: string[] = [];
      const place = (from: string, to: string): void => {
        if (existsSync(to)) {
          const aside = `${to}.before-restore-${stamp}`;
          renameSync(to, aside);
          moved.push(aside);
        }
        asOwner(from);
        renameSync(from, to);
        restored.push(to);
      };
      for (const d of DIRS) if (existsSync(join(stage, d))) place(join(stage, d), join(dir, d));
      // The key file: kept when it already holds the backed-up key, else the backup's goes in.
      const keyFile = config.keys.master_key_file;
      const key = readFileSync(join(stage, KEY));
      if (!existsSync(keyFile) || !readFileSync(keyFile).equals(key)) {
        mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
        const tmp = `${keyFile}.restore-${process.pid}`;
        writeFileSync(tmp, key, { mode: 0o600 });
        place(tmp, keyFile);
      }
      // Beside the data, not over the running config: the technician compares and decides.
      const configCopy = join(dir, `config-from-backup-${stamp}.yaml`);
      copyFileSync(join(stage, CONFIG), configCopy);
      return { restored, movedAside: moved, config: configCopy, createdAt: manifest.createdAt };
    } finally {
      rmSync(stage, { recursive: true, force: true });
    }
  });
}
