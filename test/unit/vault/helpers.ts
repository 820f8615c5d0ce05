/** Shared fixtures for the vault tests: temp dirs, test signals, an independent WAV writer. */
import { findWavHeader } from '../../helpers/audio.js';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../agent/src/common/index.js';
import { openVault, type Vault, type VaultOptions } from '../../../agent/src/vault/index.js';

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'cv-vault-'));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export async function openTestVault(root: string, opts: Partial<VaultOptions> = {}): Promise<Vault> {
  return openVault({
    dir: join(root, 'storage'),
    masterKeyFile: join(root, 'keys', 'master.key'),
    credentialsDirectory: undefined,
    fsync: 'off',
    log: silentLogger(),
    ...opts,
  });
}

/** A test's temp root and the vault it opened there (if any). */
export interface TestVaultDir {
  readonly root: string;
  /** Set by the test; closed after it. */
  vault: Vault | undefined;
}

/** A fresh root before each test of the calling describe(); its vault closed and root removed after. */
export function useTestVault(): TestVaultDir {
  const t: { root: string; vault: Vault | undefined } = { root: '', vault: undefined };
  beforeEach(() => {
    t.root = tempDir();
  });
  afterEach(async () => {
    await t.vault?.close();
    t.vault = undefined;
    removeDir(t.root);
  });
  return t;
}

/** Interleaved PCM16 LE: left `leftHz`, right `rightHz` (stereo when given), amplitude ~0.5 FS. */
export function sinePcm16(
  seconds: number,
  sampleRate: number,
  leftHz: number,
  rightHz?: number,
  offsetFrames = 0,
): Buffer {
  const frames = Math.round(seconds * sampleRate);
  const ch = rightHz === undefined ? 1 : 2;
  const b = Buffer.alloc(frames * ch * 2);
  for (let i = 0; i < frames; i++) {
    const t = (i + offsetFrames) / sampleRate;
    b.writeInt16LE(Math.round(16000 * Math.sin(2 * Math.PI * leftHz * t)), i * ch * 2);
    if (rightHz !== undefined)
      b.writeInt16LE(Math.round(16000 * Math.sin(2 * Math.PI * rightHz * t)), i * 4 + 2);
  }
  return b;
}

/** Deterministic non-repeating 8-bit samples (stands in for G.711 bytes). */
export function noiseBytes(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

/** A WAV written field by field, independent of agent/src/vault/wav.ts, to compare against. */
export function referenceWav(tag: 1 | 6 | 7, channels: number, sampleRate: number, data: Buffer): Buffer {
  const bits = tag === 1 ? 16 : 8;
  const blockAlign = (channels * bits) / 8;
  const fmt = Buffer.alloc(tag === 1 ? 16 : 18);
  fmt.writeUInt16LE(tag, 0);
  fmt.writeUInt16LE(channels, 2);
  fmt.writeUInt32LE(sampleRate, 4);
  fmt.writeUInt32LE(sampleRate * blockAlign, 8);
  fmt.writeUInt16LE(blockAlign, 12);
  fmt.writeUInt16LE(bits, 14);
  const chunk = (id: string, body: Buffer): Buffer => {
    const h = Buffer.alloc(8);
    h.write(id, 0, 'ascii');
    h.writeUInt32LE(body.length, 4);
    return Buffer.concat([h, body, body.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
  };
  const fact = Buffer.alloc(4);
  fact.writeUInt32LE(data.length / blockAlign, 0);
  const body = Buffer.concat([
    Buffer.from('WAVE'),
    chunk('fmt ', fmt),
    tag === 1 ? Buffer.alloc(0) : chunk('fact', fact),
    chunk('data', data),
  ]);
  const riff = Buffer.alloc(8);
  riff.write('RIFF', 0, 'ascii');
  riff.writeUInt32LE(body.length, 4);
  return Buffer.concat([riff, body]);
}

export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/**
 * Asserts no file under `dir` contains "RIFF" or any 64-byte run of `plain`. Windows of the
 * plaintext at a 32-byte stride are indexed by their first 4 bytes, so any plaintext copy of
 * ≥ 96 contiguous bytes is found in one pass over each file.
 */
export function assertNoPlaintext(dir: string, plain: Buffer): void {
  const windows = new Map<number, number[]>();
  for (let o = 0; o + 64 <= plain.length; o += 32) {
    const k = plain.readUInt32LE(o);
    const list = windows.get(k);
    if (list) list.push(o);
    else windows.set(k, [o]);
  }
  for (const f of filesUnder(dir)) {
    if (!statSync(f).isFile()) continue;
    const b = readFileSync(f);
    assert.equal(findWavHeader(b), -1, `a WAV header in ${f}`);
    for (let i = 0; i + 64 <= b.length; i++) {
      const hits = windows.get(b.readUInt32LE(i));
      if (hits === undefined) continue;
      for (const o of hits)
        assert.ok(
          !b.subarray(i, i + 64).equals(plain.subarray(o, o + 64)),
          `plaintext found in ${f} at ${i}`,
        );
    }
  }
}

export async function expectCode(p: Promise<unknown> | (() => unknown), code: string): Promise<Error> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    assert.equal(
      (err as { code?: string }).code,
      code,
      `expected ${code}, got ${String((err as { code?: string }).code)}: ${(err as Error).message}`,
    );
    return err as Error;
  }
  assert.fail(`expected ${code}, nothing was thrown`);
}
