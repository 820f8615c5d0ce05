/**
 * The master keyring: text, one key per line `<keyId> <64 hex chars>`, the last line is the
 * current key. It comes from the systemd credential `$CREDENTIALS_DIRECTORY/<name>` when
 * present (read-only: systemd owns its mode and lifetime), else from keys.master_key_file,
 * which must not be accessible to group or others. Key bytes never reach a log or an error.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  VaultKeyFormatError,
  VaultKeyMissingError,
  VaultKeyNotRegularError,
  VaultKeyPermissionsError,
  VaultKeyReadonlyError,
} from './errors.js';

export interface MasterKeyring {
  readonly source: 'credential' | 'file';
  readonly path: string;
  readonly keys: ReadonlyMap<number, Buffer>;
  readonly currentKeyId: number;
  /** True when this call generated the key file (the caller logs it). */
  readonly created: boolean;
}

export interface KeyringSource {
  readonly masterKeyFile: string;
  readonly credentialName: string;
  readonly credentialsDirectory?: string | undefined;
}

const LINE_RE = /^([1-9][0-9]{0,8})\s+([0-9a-fA-F]{64})$/;

/** Parses keyring text; errors name the line, never echo its content. */
export function parseKeyring(
  text: string,
  path: string,
): { keys: Map<number, Buffer>; currentKeyId: number } {
  const keys = new Map<number, Buffer>();
  let current = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = LINE_RE.exec(line);
    if (m === null || m[1] === undefined || m[2] === undefined) {
      throw new VaultKeyFormatError('master key file: each line must be "<keyId> <64 hex chars>"', {
        context: { path, line: i + 1 },
      });
    }
    const kid = Number(m[1]);
    if (keys.has(kid))
      throw new VaultKeyFormatError('master key file: duplicate key id', {
        context: { path, line: i + 1, keyId: kid },
      });
    keys.set(kid, Buffer.from(m[2], 'hex'));
    current = kid;
  });
  if (keys.size === 0) throw new VaultKeyFormatError('master key file holds no key', { context: { path } });
  return { keys, currentKeyId: current };
}

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Opens the key file without blocking and refuses anything but a regular file: opening a FIFO
 * for reading waits for a writer (start-up would hang without a word), and a device or a
 * directory is no key file either. O_NONBLOCK makes the open of a FIFO return at once.
 */
async function openIfExists(path: string): Promise<FileHandle | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(path, fsc.O_RDONLY | fsc.O_NONBLOCK);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw new VaultKeyPermissionsError('master key file is not readable', {
      cause: err,
      context: { path, errno: errnoOf(err) },
    });
  }
  let regular = false;
  try {
    regular = (await fh.stat()).isFile();
  } finally {
    if (!regular) await fh.close();
  }
  if (!regular)
    throw new VaultKeyNotRegularError('master key file is not a regular file (a FIFO, device or directory)', {
      context: { path },
    });
  return fh;
}

async function readKeyFile(fh: FileHandle, path: string, checkMode: boolean): Promise<string> {
  try {
    if (checkMode) {
      const mode = (await fh.stat()).mode & 0o777;
      if ((mode & 0o077) !== 0) {
        throw new VaultKeyPermissionsError(
          'master key file must not be accessible to group or others (chmod 600)',
          {
            context: { path, mode: `0${mode.toString(8)}` },
          },
        );
      }
    }
    return await fh.readFile('utf8');
  } finally {
    await fh.close();
  }
}

async function createKeyFile(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const fh = await open(path, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
  try {
    await fh.writeFile(`1 ${randomBytes(32).toString('hex')}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await syncDir(dirname(path));
}

async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, fsc.O_RDONLY);
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

/**
 * Loads the keyring. `allowCreate` is false when the keystore already holds keys: a missing
 * key file then means lost keys, and generating a fresh one would hide that.
 */
export async function loadMasterKeyring(src: KeyringSource, allowCreate: boolean): Promise<MasterKeyring> {
  if (src.credentialsDirectory !== undefined && src.credentialsDirectory !== '') {
    const path = join(src.credentialsDirectory, src.credentialName);
    const fh = await openIfExists(path);
    if (fh !== undefined) {
      const { keys, currentKeyId } = parseKeyring(await readKeyFile(fh, path, false), path);
      return { source: 'credential', path, keys, currentKeyId, created: false };
    }
  }
  const path = src.masterKeyFile;
  let fh = await openIfExists(path);
  let created = false;
  if (fh === undefined) {
    if (!allowCreate) {
      throw new VaultKeyMissingError('master key file is missing but the keystore holds keys wrapped by it', {
        context: { path },
      });
    }
    await createKeyFile(path);
    created = true;
    fh = await open(path, fsc.O_RDONLY);
  }
  const { keys, currentKeyId } = parseKeyring(await readKeyFile(fh, path, true), path);
  return { source: 'file', path, keys, currentKeyId, created };
}

/** Appends a new current key to the key file (fsynced) and returns the new keyring. */
export async function appendMasterKey(ring: MasterKeyring): Promise<MasterKeyring> {
  if (ring.source === 'credential') {
    throw new VaultKeyReadonlyError(
      'master key comes from a systemd credential; rotate it by provisioning a new credential',
      {
        context: { path: ring.path },
      },
    );
  }
  const keyId = Math.max(...ring.keys.keys()) + 1;
  const key = randomBytes(32);
  const existing = await readFile(ring.path, 'utf8');
  const lead = existing.length > 0 && !existing.endsWith('\n') ? '\n' : '';
  const fh = await open(ring.path, fsc.O_WRONLY | fsc.O_APPEND);
  try {
    await fh.write(`${lead}${keyId} ${key.toString('hex')}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  const keys = new Map(ring.keys);
  keys.set(keyId, key);
  return { ...ring, keys, currentKeyId: keyId, created: false };
}
