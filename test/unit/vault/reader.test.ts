import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { IntegrityError } from '../../../agent/src/common/index.js';
import type { FinishedRecording, Vault } from '../../../agent/src/vault/index.js';
import { verifyReader } from '../../../agent/src/vault/reader.js';
import { expectCode, openTestVault, referenceWav, removeDir, sinePcm16, tempDir } from './helpers.js';

const FORMAT = { encoding: 'pcm16', channels: 1, sampleRate: 8000 } as const;
const HEADER = 48;
const RH = 10;
const TAG = 16;

/** Offsets of every record in a container, walking the plaintext record headers. */
function recordOffsets(b: Buffer): { offset: number; type: number; length: number }[] {
  const out = [];
  for (let o = HEADER; o < b.length;) {
    const length = b.readUInt32BE(o + 6);
    out.push({ offset: o, type: b[o] as number, length });
    o += RH + length + TAG;
  }
  return out;
}

async function readAllCode(vault: Vault, id: string): Promise<string> {
  try {
    await (await vault.openReader(id)).readAll();
  } catch (err) {
    assert.ok(err instanceof IntegrityError, `not an IntegrityError: ${String(err)}`);
    return err.code;
  }
  return 'none';
}

async function verifyCode(vault: Vault, id: string): Promise<string> {
  try {
    await vault.verify(id);
  } catch (err) {
    assert.ok(err instanceof IntegrityError, `not an IntegrityError: ${String(err)}`);
    return err.code;
  }
  return 'none';
}

describe('vault/reader', function () {
  this.timeout(30000);
  let root: string;
  let vault: Vault;
  let pcm: Buffer;
  let rec: FinishedRecording;
  let original: Buffer;

  beforeEach(async () => {
    root = tempDir();
    vault = await openTestVault(root, { segmentMs: 1000 });
    pcm = sinePcm16(4, 8000, 440);
    const w = await vault.createRecording({ format: FORMAT, metadata: { service: 'billing' } });
    w.append(pcm);
    rec = await w.finalize();
    original = readFileSync(rec.path);
  });
  afterEach(async () => {
    await vault.close();
    removeDir(root);
  });

  it('reports format, size, metadata and final info, and readAll equals the WAV', async () => {
    const r = await vault.openReader(rec.id);
    const wav = referenceWav(1, 1, 8000, pcm);
    assert.deepEqual(r.format, FORMAT);
    assert.equal(r.size, wav.length);
    assert.deepEqual(r.metadata, { service: 'billing' });
    assert.equal(r.final.digest, rec.digest);
    assert.equal(r.final.durationMs, 4000);
    assert.equal(r.createdAt.getTime(), rec.startedAt.getTime());
    assert.ok((await r.readAll()).equals(wav));
  });

  it('streams any inclusive byte range, seeking by segment', async () => {
    const r = await vault.openReader(rec.id);
    const wav = referenceWav(1, 1, 8000, pcm);
    const ranges = [
      [0, 0],
      [0, 43],
      [40, 50],
      [44, 16043],
      [16043, 16044],
      [30000, 50000],
      [wav.length - 1, wav.length - 1],
      [100, wav.length + 999],
    ];
    let seed = 7;
    for (let i = 0; i < 20; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const a = seed % wav.length;
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      ranges.push([a, a + (seed % 40000)]);
    }
    for (const [start, end] of ranges as [number, number][]) {
      const chunks: Buffer[] = [];
      for await (const c of r.createReadStream({ start, end })) chunks.push(c as Buffer);
      assert.ok(Buffer.concat(chunks).equals(wav.subarray(start, end + 1)), `range ${start}-${end}`);
    }
    await expectCode(() => r.createReadStream({ start: 10, end: 5 }), 'CV_ERR_VAULT_BAD_RANGE');
    await expectCode(() => r.createReadStream({ start: -1, end: 5 }), 'CV_ERR_VAULT_BAD_RANGE');
  });

  it('verify recomputes the digest and checks the Ed25519 signature', async () => {
    const v = await vault.verify(rec.id);
    assert.deepEqual(v, { ok: true, digest: rec.digest, recovered: false });
  });

  it('a digest signed by another appliance key is CV_ERR_VAULT_BAD_SIGNATURE', async () => {
    const r = await vault.openReader(rec.id);
    await expectCode(
      verifyReader(r, () => false),
      'CV_ERR_VAULT_BAD_SIGNATURE',
    );
    assert.equal((await verifyReader(r, () => true)).digest, rec.digest);
  });

  it('detects every single-bit flip (headers exhaustively, 200 random elsewhere) in readAll and verify', async () => {
    const records = recordOffsets(original);
    const positions: number[] = [];
    for (let i = 0; i < HEADER; i++) positions.push(i);
    for (const r of records) for (let i = 0; i < RH; i++) positions.push(r.offset + i);
    let seed = 12345;
    for (let i = 0; i < 200; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      positions.push(seed % original.length);
    }
    const codes = new Map<string, number>();
    let flips = 0;
    for (const [n, pos] of positions.entries()) {
      const bit = pos < HEADER + RH * records.length ? n % 8 : pos % 8;
      const bad = Buffer.from(original);
      bad[pos] = (bad[pos] as number) ^ (1 << bit);
      writeFileSync(rec.path, bad);
      const a = await readAllCode(vault, rec.id);
      const b = await verifyCode(vault, rec.id);
      assert.notEqual(a, 'none', `flip at ${pos} bit ${bit} not detected by readAll`);
      assert.notEqual(b, 'none', `flip at ${pos} bit ${bit} not detected by verify`);
      codes.set(a, (codes.get(a) ?? 0) + 1);
      flips++;
    }
    assert.ok(flips >= 200 + HEADER);
    assert.ok((codes.get('CV_ERR_VAULT_TAMPERED') ?? 0) > 200, JSON.stringify([...codes]));
    writeFileSync(rec.path, original);
    assert.equal(await readAllCode(vault, rec.id), 'none');
  });

  it('truncation anywhere is CV_ERR_VAULT_TRUNCATED', async () => {
    const records = recordOffsets(original);
    const last = records.at(-1) as { offset: number };
    const cuts = [
      20,
      HEADER,
      HEADER + 5,
      HEADER + 30,
      (records[2]?.offset ?? 0) + 100,
      last.offset,
      last.offset + 4,
      original.length - 1,
    ];
    for (const cut of cuts) {
      writeFileSync(rec.path, original);
      truncateSync(rec.path, cut);
      assert.equal(await readAllCode(vault, rec.id), 'CV_ERR_VAULT_TRUNCATED', `cut at ${cut}`);
      assert.equal(await verifyCode(vault, rec.id), 'CV_ERR_VAULT_TRUNCATED', `cut at ${cut}`);
    }
    truncateSync(rec.path, 0);
    assert.equal(await readAllCode(vault, rec.id), 'CV_ERR_VAULT_NOT_A_CONTAINER');
  });

  it('swapping two audio records is CV_ERR_VAULT_REORDERED', async () => {
    const [, a1, a2] = recordOffsets(original);
    assert.ok(a1 && a2 && a1.length === a2.length);
    const len = RH + a1.length + TAG;
    const bad = Buffer.from(original);
    original.copy(bad, a1.offset, a2.offset, a2.offset + len);
    original.copy(bad, a2.offset, a1.offset, a1.offset + len);
    writeFileSync(rec.path, bad);
    assert.equal(await readAllCode(vault, rec.id), 'CV_ERR_VAULT_REORDERED');
    // Rewriting the plaintext seq to hide the swap moves the nonce: authentication fails.
    bad.writeUInt32BE(1, a1.offset + 2);
    bad.writeUInt32BE(2, a2.offset + 2);
    writeFileSync(rec.path, bad);
    assert.equal(await readAllCode(vault, rec.id), 'CV_ERR_VAULT_TAMPERED');
  });

  it('a record spliced in from another recording of the same format is CV_ERR_VAULT_TAMPERED', async () => {
    const w = await vault.createRecording({ format: FORMAT, metadata: { service: 'billing' } });
    w.append(sinePcm16(4, 8000, 440));
    const other = readFileSync((await w.finalize()).path);
    const target = recordOffsets(original)[2] as { offset: number; length: number };
    const donor = recordOffsets(other)[2] as { offset: number; length: number };
    const bad = Buffer.from(original);
    other.copy(bad, target.offset, donor.offset, donor.offset + RH + donor.length + TAG);
    writeFileSync(rec.path, bad);
    const err = await expectCode((await vault.openReader(rec.id)).readAll(), 'CV_ERR_VAULT_TAMPERED');
    assert.equal((err as IntegrityError).context.seq, 2);
    assert.equal((err as IntegrityError).context.offset, target.offset);
    assert.equal((err as IntegrityError).context.recordingId, rec.id);
  });

  it('data after the final record is CV_ERR_VAULT_TAMPERED', async () => {
    appendFileSync(rec.path, Buffer.alloc(30));
    assert.equal(await readAllCode(vault, rec.id), 'CV_ERR_VAULT_TAMPERED');
  });

  it('a container of another recording under this id is CV_ERR_VAULT_TAMPERED', async () => {
    const w = await vault.createRecording({ format: FORMAT, metadata: {} });
    w.append(sinePcm16(1, 8000, 440));
    writeFileSync(rec.path, readFileSync((await w.finalize()).path));
    assert.equal(await readAllCode(vault, rec.id), 'CV_ERR_VAULT_TAMPERED');
  });

  it('a recording still being written reads as CV_ERR_VAULT_TRUNCATED', async () => {
    const w = await vault.createRecording({ format: FORMAT, metadata: {} });
    w.append(sinePcm16(2, 8000, 440));
    await new Promise((r) => setTimeout(r, 20));
    await expectCode(vault.openReader(w.id), 'CV_ERR_VAULT_TRUNCATED');
    await w.finalize();
  });
});
