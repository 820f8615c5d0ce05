/**
 * How the keystore wraps what it holds: AES-256-GCM under a master key, with an AAD that binds
 * each entry to its purpose (so a wrapped data key cannot be passed off as the signing key or
 * as another recording's key), and the JSON shape of a wrapped entry.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { VaultKeystoreCorruptError } from './errors.js';

export function seal(key: Buffer, plaintext: Buffer, aad: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad));
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([iv, ct, c.getAuthTag()]).toString('base64');
}

/** undefined when the tag does not verify (wrong key or altered entry). */
export function unseal(key: Buffer, wrapped: string, aad: string): Buffer | undefined {
  const b = Buffer.from(wrapped, 'base64');
  if (b.length < 28) return undefined;
  const d = createDecipheriv('aes-256-gcm', key, b.subarray(0, 12));
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(b.subarray(b.length - 16));
  try {
    return Buffer.concat([d.update(b.subarray(12, b.length - 16)), d.final()]);
  } catch {
    return undefined;
  }
}

export interface WrappedEntry {
  v: 1;
  kid: number;
  wrapped: string;
}

export function parseEntry<T extends WrappedEntry>(raw: string, entry: string): T {
  try {
    const o = JSON.parse(raw) as T;
    if (o.v === 1 && Number.isInteger(o.kid) && typeof o.wrapped === 'string') return o;
  } catch (err) {
    throw new VaultKeystoreCorruptError('keystore entry is malformed', { cause: err, context: { entry } });
  }
  throw new VaultKeystoreCorruptError('keystore entry is malformed', { context: { entry } });
}
