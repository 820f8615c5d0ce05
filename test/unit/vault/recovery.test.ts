import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Vault } from '../../../agent/src/vault/index.js';
import { openTestVault, referenceWav, removeDir, sinePcm16, tempDir } from './helpers.js';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/vault/crash-writer.ts');
const FORMAT = { encoding: 'pcm16', channels: 1, sampleRate: 8000 } as const;

/** Leaves an unfinished container: audio flushed, no final record (as after kill -9). */
async function unfinished(vault: Vault, seconds: number): Promise<{ id: string; path: string; pcm: Buffer }> {
  const pcm = sinePcm16(seconds, 8000, 440);
  const w = await vault.createRecording({ format: FORMAT, metadata: { case: 'x' } });
  w.append(pcm);
  await vault.close(); // detaches the writer: buffered audio written, no final record
  return { id: w.id, path: w.path, pcm };
}

describe('vault/recovery', function () {
  this.timeout(30000);
  let root: string;
  let vault: Vault | undefined;

  beforeEach(() => {
    root = tempDir();
  });
  afterEach(async () => {
    await vault?.close();
    vault = undefined;
    removeDir(root);
  });

  it('after kill -9 mid-recording, the container recovers to a valid WAV missing at most one segment', async () => {
    const segmentMs = 1000;
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, root, String(segmentMs)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    let id = '';
    let appendedAtKill = 0;
    const killed = new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('child did not flush 3 segments in 15 s')), 15000);
      let flushed = 0;
      createInterface({ input: child.stdout }).on('line', (line) => {
        const ev = JSON.parse(line) as { event: string; id?: string; seq?: number; appended?: number };
        if (ev.event === 'created') id = ev.id as string;
        if (ev.event === 'flushed' && ++flushed === 3) {
          appendedAtKill = ev.appended as number;
          child.kill('SIGKILL');
          clearTimeout(t);
          resolve();
        }
      });
    });
    try {
      await killed;
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    vault = await openTestVault(root);
    const result = await vault.recover();
    assert.equal(result.length, 1);
    const r = result[0];
    assert.ok(r);
    assert.equal(r.id, id);
    assert.equal(r.recovered, true);
    assert.deepEqual(r.metadata, { fixture: 'crash' });
    const segmentBytes = 16 * segmentMs;
    assert.ok(r.dataBytes >= 2 * segmentBytes, `recovered ${r.dataBytes} bytes`);
    assert.ok(
      appendedAtKill - r.dataBytes <= segmentBytes,
      `lost ${appendedAtKill - r.dataBytes} bytes > one segment`,
    );
    const wav = await (await vault.openReader(id)).readAll();
    assert.ok(wav.equals(referenceWav(1, 1, 8000, sinePcm16(120, 8000, 440).subarray(0, r.dataBytes))));
    const v = await vault.verify(id);
    assert.equal(v.recovered, true);
    assert.equal(v.digest, r.digest);
    assert.deepEqual(await vault.recover(), [], 'a second recover finds nothing to do');
  });

  it('cuts a torn last record (partial write) and keeps everything before it', async () => {
    vault = await openTestVault(root, { segmentMs: 500 });
    const u = await unfinished(vault, 3);
    appendFileSync(u.path, Buffer.from([2, 0, 0, 0, 0, 7, 0, 0, 0x1f, 0x40, 1, 2, 3]));
    vault = await openTestVault(root, { segmentMs: 500 });
    const [r] = await vault.recover();
    assert.equal(r?.dataBytes, u.pcm.length);
    assert.ok((await (await vault.openReader(u.id)).readAll()).equals(referenceWav(1, 1, 8000, u.pcm)));
  });

  it('cuts a zero-filled tail (power loss) and a last record whose tag fails', async () => {
    vault = await openTestVault(root, { segmentMs: 500 });
    const u = await unfinished(vault, 3);
    const b = readFileSync(u.path);
    b[b.length - 20] = (b[b.length - 20] as number) ^ 1;
    writeFileSync(u.path, Buffer.concat([b, Buffer.alloc(9000)]));
    vault = await openTestVault(root, { segmentMs: 500 });
    const { recovered, unrecoverable } = await vault.recoverAll();
    assert.deepEqual(unrecoverable, []);
    assert.equal(recovered[0]?.dataBytes, u.pcm.length - 8000);
    await vault.verify(u.id);
  });

  it('reports and leaves untouched a container with a bad record before the tail', async () => {
    vault = await openTestVault(root, { segmentMs: 500 });
    const u = await unfinished(vault, 3);
    const b = readFileSync(u.path);
    b[48 + 200] = (b[48 + 200] as number) ^ 0x80;
    writeFileSync(u.path, b);
    vault = await openTestVault(root, { segmentMs: 500 });
    const { recovered, unrecoverable } = await vault.recoverAll();
    assert.deepEqual(recovered, []);
    assert.deepEqual(unrecoverable, [{ id: u.id, path: u.path, code: 'CV_ERR_VAULT_TAMPERED' }]);
    assert.ok(readFileSync(u.path).equals(b));
  });

  it('reports a container whose key is missing from the keystore, and never deletes it', async () => {
    vault = await openTestVault(root);
    const u = await unfinished(vault, 1);
    const other = join(root, 'other');
    mkdirSync(other);
    vault = await openTestVault(other);
    const dest = join(other, 'storage', u.path.slice(u.path.indexOf('recordings/')));
    mkdirSync(dirname(dest), { recursive: true });
    copyFileSync(u.path, dest);
    const res = await vault.recoverAll();
    assert.deepEqual(res.unrecoverable, [{ id: u.id, path: dest, code: 'CV_ERR_VAULT_KEY_DESTROYED' }]);
    assert.ok(readFileSync(dest).equals(readFileSync(u.path)));
  });

  it('skips finished containers and writers still open in this process', async () => {
    vault = await openTestVault(root);
    const done = await vault.createRecording({ format: FORMAT, metadata: {} });
    done.append(sinePcm16(1, 8000, 440));
    await done.finalize();
    const live = await vault.createRecording({ format: FORMAT, metadata: {} });
    live.append(sinePcm16(1, 8000, 440));
    assert.deepEqual(await vault.recoverAll(), { recovered: [], unrecoverable: [], tampered: [] });
    await live.finalize();
  });
});
