/**
 * Opening the keystore: its files checked before LevelDB touches them, then the master keyring
 * checked against every key-check value and the signing key unwrapped (or made, first time).
 * A new or empty keystore while recordings exist is refused: it would hide lost keys.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { ClassicLevel } from 'classic-level';
import { inspectLevelDir } from '../common/index.js';
import {
  VaultKeyMismatchError,
  VaultKeystoreCorruptError,
  VaultKeystoreMissingError,
  VaultStorageError,
} from './errors.js';
import { parseEntry, seal, unseal, type WrappedEntry } from './key-wrap.js';
import { loadMasterKeyring, type KeyringSource, type MasterKeyring } from './master-keys.js';

const KCV_PLAINTEXT = Buffer.from('callvault key check v1');
const SIGN_ENTRY = 'sign!ed25519';
const RESTORE_HINT = 'restore storage.dir/keystore from a backup (it holds the keys of every recording)';

export interface KeyStoreOpenOptions {
  /** Containers exist: a new or empty keystore is then refused instead of created. */
  readonly containersPresent?: boolean;
}

/** A key-check value: a constant sealed under master key kid, so a wrong key is refused at open. */
export function kcvValue(key: Buffer, kid: number): string {
  return seal(key, KCV_PLAINTEXT, `cv-kcv|${kid}`);
}

/** What the keystore holds in memory once open. */
export interface KeyMaterial {
  readonly ring: MasterKeyring;
  readonly signKey: KeyObject;
  readonly publicKeyPem: string;
}

/** Checks the files, then opens LevelDB; damage is VaultKeystoreCorruptError (exit 2). */
export async function openLevel(
  path: string,
  containersPresent: boolean,
): Promise<ClassicLevel<string, string>> {
  let found;
  try {
    found = await inspectLevelDir(path);
  } catch (err) {
    throw new VaultStorageError('cannot read the keystore', { cause: err, context: { path } });
  }
  if (found.state === 'damaged')
    throw new VaultKeystoreCorruptError(`keystore: ${found.problem}; ${RESTORE_HINT}`, {
      context: { path, file: found.file },
    });
  if (found.state === 'fresh' && containersPresent)
    throw new VaultKeystoreMissingError(
      `keystore is missing or empty but recordings exist; ${RESTORE_HINT}`,
      {
        context: { path },
      },
    );
  let db: ClassicLevel<string, string>;
  try {
    await mkdir(path, { recursive: true, mode: 0o700 });
    // Uncompressed: the entries are tiny, and an auditor can grep the files to see a key is gone.
    db = new ClassicLevel<string, string>(path, { valueEncoding: 'utf8', compression: false });
    await db.open();
  } catch (err) {
    throw new VaultStorageError('cannot open the keystore', { cause: err, context: { path } });
  }
  return db;
}

/** Checks the keyring against the key-check values and loads (or creates) the signing key. */
export async function loadKeyMaterial(
  path: string,
  db: ClassicLevel<string, string>,
  src: KeyringSource,
  containersPresent: boolean,
): Promise<KeyMaterial> {
  const kcvs = new Map<number, string>();
  for await (const [k, v] of db.iterator({ gte: 'kcv!', lt: 'kcv"' })) kcvs.set(Number(k.slice(4)), v);
  const signRaw = await db.get(SIGN_ENTRY);
  if (signRaw === undefined && containersPresent)
    throw new VaultKeystoreMissingError(
      `keystore holds no signing key but recordings exist; ${RESTORE_HINT}`,
      {
        context: { path },
      },
    );
  const ring = await loadMasterKeyring(src, kcvs.size === 0 && signRaw === undefined);
  for (const [kid, wrapped] of kcvs) {
    const key = ring.keys.get(kid);
    const ok = key !== undefined && unseal(key, wrapped, `cv-kcv|${kid}`)?.equals(KCV_PLAINTEXT) === true;
    if (!ok) {
      throw new VaultKeyMismatchError('master key does not match the keystore (wrong or missing key id)', {
        context: { path: ring.path, keyId: kid },
      });
    }
  }
  const missing = [...ring.keys].filter(([kid]) => !kcvs.has(kid));
  if (missing.length > 0) {
    await db.batch(
      missing.map(([kid, key]) => ({
        type: 'put' as const,
        key: `kcv!${kid}`,
        value: kcvValue(key, kid),
      })),
      { sync: true },
    );
  }
  if (signRaw !== undefined) {
    const e = parseEntry<WrappedEntry & { publicKeyPem: string }>(signRaw, SIGN_ENTRY);
    const key = ring.keys.get(e.kid);
    const der = key === undefined ? undefined : unseal(key, e.wrapped, 'cv-sign|ed25519');
    if (der === undefined)
      throw new VaultKeystoreCorruptError('signing key cannot be unwrapped', {
        context: { entry: SIGN_ENTRY },
      });
    return {
      ring,
      signKey: createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }),
      publicKeyPem: e.publicKeyPem,
    };
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const der = privateKey.export({ type: 'pkcs8', format: 'der' });
  const kid = ring.currentKeyId;
  const entry = {
    v: 1,
    kid,
    wrapped: seal(ring.keys.get(kid) as Buffer, der, 'cv-sign|ed25519'),
    publicKeyPem: pem,
    createdAt: Date.now(),
  };
  await db.put(SIGN_ENTRY, JSON.stringify(entry), { sync: true });
  return { ring, signKey: privateKey, publicKeyPem: pem };
}
