/**
 * State sidecars: what the DPO decided about a recording (legal hold, restriction, case,
 * anonymisation…) kept beside its container as `<id>.state`, so the vault — not the index —
 * is the source of truth and `index rebuild` restores it. The container is append-only and
 * finished with a signed final record, so a sidecar is used rather than records after it.
 *
 * File: JSON {v:1, id, version, sealed, sig}. `sealed` is the body (JSON, opaque to the vault)
 * under AES-256-GCM with the state key (case ids are personal), AAD `cv-state|id|version`;
 * `sig` is the appliance's Ed25519 signature over `callvault-state-v1|id|version|sealed`.
 * The keystore keeps the newest version and its SHA-256 (`sv!<id>`): a copy with a lower
 * version, or the same version with other bytes, is a replay; a missing file with a version
 * on record is a deletion. Both are integrity errors, never silently ignored.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { VaultStateTamperedError } from './errors.js';

export const STATE_SUFFIX = '.state';
const MAGIC = 'callvault-state-v1';

export interface StateFile {
  readonly version: number;
  readonly body: Record<string, unknown>;
}

interface Envelope {
  readonly v: 1;
  readonly id: string;
  readonly version: number;
  readonly sealed: string;
  readonly sig: string;
}

function signedBytes(id: string, version: number, sealed: string): Buffer {
  return Buffer.from(`${MAGIC}|${id}|${version}|${sealed}`);
}

export function encodeState(
  id: string,
  version: number,
  body: Record<string, unknown>,
  key: Buffer,
  sign: (data: Buffer) => Buffer,
): Buffer {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(`cv-state|${id}|${version}`));
  const ct = Buffer.concat([c.update(JSON.stringify(body), 'utf8'), c.final()]);
  const sealed = Buffer.concat([iv, c.getAuthTag(), ct]).toString('base64');
  const env: Envelope = {
    v: 1,
    id,
    version,
    sealed,
    sig: sign(signedBytes(id, version, sealed)).toString('base64'),
  };
  return Buffer.from(JSON.stringify(env));
}

function tampered(id: string, why: string): VaultStateTamperedError {
  return new VaultStateTamperedError(`state sidecar of ${id} ${why}`, { context: { recordingId: id } });
}

/** Checks signature, id and seal; the version check against the keystore is the caller's. */
export function decodeState(
  id: string,
  bytes: Buffer,
  key: Buffer,
  verify: (data: Buffer, sig: Buffer) => boolean,
): StateFile {
  let env: Envelope;
  try {
    env = JSON.parse(bytes.toString('utf8')) as Envelope;
  } catch {
    throw tampered(id, 'is not valid JSON');
  }
  if (
    typeof env !== 'object' ||
    env === null ||
    env.v !== 1 ||
    env.id !== id ||
    !Number.isSafeInteger(env.version) ||
    typeof env.sealed !== 'string' ||
    typeof env.sig !== 'string'
  )
    throw tampered(id, 'has an unknown shape or names another recording');
  if (!verify(signedBytes(id, env.version, env.sealed), Buffer.from(env.sig, 'base64')))
    throw tampered(id, 'fails its signature');
  const b = Buffer.from(env.sealed, 'base64');
  try {
    const d = createDecipheriv('aes-256-gcm', key, b.subarray(0, 12));
    d.setAAD(Buffer.from(`cv-state|${id}|${env.version}`));
    d.setAuthTag(b.subarray(12, 28));
    const pt = Buffer.concat([d.update(b.subarray(28)), d.final()]).toString('utf8');
    return { version: env.version, body: JSON.parse(pt) as Record<string, unknown> };
  } catch {
    throw tampered(id, 'cannot be decrypted');
  }
}

export function stateDigest(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Throws when the file is older than (or differs from) the newest version on record. */
export function checkVersion(
  id: string,
  bytes: Buffer,
  file: StateFile,
  onRecord: { version: number; sha256: string } | undefined,
): void {
  if (onRecord === undefined) return;
  if (file.version < onRecord.version)
    throw tampered(id, `is version ${file.version}, older than ${onRecord.version}`);
  // A newer file than on record is the crash window between the rename and the keystore put.
  if (file.version === onRecord.version && stateDigest(bytes) !== onRecord.sha256)
    throw tampered(id, 'differs from the version on record');
}
