/**
 * What a copy of storage.dir gives away to someone holding the master key: every file is read
 * raw, every base64 run in it is tried as a keystore-wrapped data key, as an index field blob
 * (under the index field key, and under the per-recording key of any data key it recovered)
 * and as a state sidecar body; plain text is searched for the needles as well.
 */
import { createDecipheriv, hkdfSync } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface ScanReport {
  readonly files: number;
  readonly tokens: number;
  /** Blobs that decrypted (any recording). */
  readonly decrypted: number;
  /** Data keys of the target recording recovered from the keystore files. */
  readonly dataKeys: number;
  /** Where a needle was found: plain, or in what decrypted. */
  readonly hits: readonly string[];
}

function gcm(key: Buffer, iv: Buffer, tag: Buffer, ct: Buffer, aad: string): Buffer | undefined {
  try {
    const d = createDecipheriv('aes-256-gcm', key, iv);
    d.setAAD(Buffer.from(aad));
    d.setAuthTag(tag);
    return Buffer.concat([d.update(ct), d.final()]);
  } catch {
    return undefined;
  }
}

function files(root: string): string[] {
  return readdirSync(root, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

export function masterKeys(keyFile: string): Buffer[] {
  return readFileSync(keyFile, 'utf8')
    .split('\n')
    .filter((l) => /^\d+ [0-9a-f]{64}$/.test(l.trim()))
    .map((l) => Buffer.from(l.trim().split(' ')[1] as string, 'hex'));
}

export function scanForPersonalData(
  root: string,
  keyFile: string,
  id: string,
  needles: readonly string[],
): ScanReport {
  const mks = masterKeys(keyFile);
  const base = mks[0] as Buffer;
  const derive = (k: Buffer, info: string): Buffer =>
    Buffer.from(hkdfSync('sha256', k, Buffer.alloc(0), info, 32));
  const fieldKey = derive(base, 'callvault index-fields v1');
  const stateKey = derive(base, 'callvault state v1');
  const hits: string[] = [];
  const check = (where: string, text: string): void => {
    for (const n of needles) if (text.includes(n)) hits.push(`${where}: ${n}`);
  };
  const all = files(root);
  const tokens: Buffer[] = [];
  for (const f of all) {
    const raw = readFileSync(f);
    check(`${f} (plain)`, raw.toString('latin1'));
    for (const m of raw.toString('latin1').matchAll(/[A-Za-z0-9+/]{40,}={0,2}/g))
      tokens.push(Buffer.from(m[0], 'base64'));
  }
  let decrypted = 0;
  const recordKeys: Buffer[] = [];
  // Keystore entries: iv 12 | ciphertext | tag 16, AAD naming the recording.
  for (const t of tokens) {
    if (t.length < 28 + 32) continue;
    for (const mk of mks) {
      const dk = gcm(
        mk,
        t.subarray(0, 12),
        t.subarray(t.length - 16),
        t.subarray(12, t.length - 16),
        `cv-dk|${id}`,
      );
      if (dk !== undefined) recordKeys.push(derive(dk, 'callvault index-record v1'));
    }
  }
  for (const t of tokens) {
    if (t.length < 28) continue;
    // Index field blobs: nonce 12 | tag 16 | ciphertext, AAD = the recording id.
    for (const k of [fieldKey, ...recordKeys]) {
      const pt = gcm(k, t.subarray(0, 12), t.subarray(12, 28), t.subarray(28), id);
      if (pt !== undefined) {
        decrypted++;
        check('index field blob', pt.toString('utf8'));
      }
    }
    // State sidecars: iv 12 | tag 16 | ciphertext, AAD cv-state|id|version.
    for (let v = 1; v <= 20; v++) {
      const pt = gcm(stateKey, t.subarray(0, 12), t.subarray(12, 28), t.subarray(28), `cv-state|${id}|${v}`);
      if (pt !== undefined) {
        decrypted++;
        check(`state sidecar v${v}`, pt.toString('utf8'));
      }
    }
  }
  return { files: all.length, tokens: tokens.length, decrypted, dataKeys: recordKeys.length, hits };
}

/** A plain 16-bit PCM WAV around `pcm`. */
export function wavOf(pcm: Buffer, sampleRate = 8000, channels = 1): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + pcm.length, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * channels * 2, 28);
  h.writeUInt16LE(channels * 2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([h, pcm]);
}
