import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  appendFileSync,
  copyFileSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Vault } from '../../../agent/src/vault/index.js';
import { openTestVault, referenceWav, sinePcm16, useTestVault } from './helpers.js';
import { TAMPERS, tamper } from '../../helpers/tamper.js';

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
  const t = useTestVault();

  it('after kill -9 mid-recording, the container recovers to a valid WAV missing at most one segment', async () => {
    const segmentMs = 1000;
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, t.root, String(segmentMs)], {
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
    t.vault = await openTestVault(t.root);
    const result = await t.vault.recover();
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
    const wav = await (await t.vault.openReader(id)).readAll();
    assert.ok(wav.equals(referenceWav(1, 1, 8000, sinePcm16(120, 8000, 440).subarray(0, r.dataBytes))));
    const v = await t.vault.verify(id);
    assert.equal(v.recovered, true);
    assert.equal(v.digest, r.digest);
    assert.deepEqual(await t.vault.recover(), [], 'a second recover finds nothing to do');
  });

  it('cuts a torn last record (partial write) and keeps everything before it', async () => {
    t.vault = await openTestVault(t.root, { segmentMs: 500 });
    const u = await unfinished(t.vault, 3);
    appendFileSync(u.path, Buffer.from([2, 0, 0, 0, 0, 7, 0, 0, 0x1f, 0x40, 1, 2, 3]));
    t.vault = await openTestVault(t.root, { segmentMs: 500 });
    const [r] = await t.vault.recover();
    assert.equal(r?.dataBytes, u.pcm.length);
    assert.ok((await (await t.vault.openReader(u.id)).readAll()).equals(referenceWav(1, 1, 8000, u.pcm)));
  });

  it('cuts a zero-filled tail (power loss) and a last record whose tag fails', async () => {
    t.vault = await openTestVault(t.root, { segmentMs: 500 });
    const u = await unfinished(t.vault, 3);
    const b = readFileSync(u.path);
    b[b.length - 20] = (b[b.length - 20] as number) ^ 1;
    writeFileSync(u.path, Buffer.concat([b, Buffer.alloc(9000)]));
    t.vault = await openTestVault(t.root, { segmentMs: 500 });
    const { recovered, unrecoverable } = await t.vault.recoverAll();
    assert.deepEqual(unrecoverable, []);
    assert.equal(recovered[0]?.dataBytes, u.pcm.length - 8000);
    await t.vault.verify(u.id);
  });

  it('reports and leaves untouched a container with a bad record before the tail', async () => {
    t.vault = await openTestVault(t.root, { segmentMs: 500 });
    const u = await unfinished(t.vault, 3);
    const b = readFileSync(u.path);
    b[48 + 200] = (b[48 + 200] as number) ^ 0x80;
    writeFileSync(u.path, b);
    t.vault = await openTestVault(t.root, { segmentMs: 500 });
    const { recovered, unrecoverable } = await t.vault.recoverAll();
    assert.deepEqual(recovered, []);
    assert.deepEqual(unrecoverable, [{ id: u.id, path: u.path, code: 'CV_ERR_VAULT_TAMPERED' }]);
    assert.ok(readFileSync(u.path).equals(b));
  });

  it('reports a container whose key is missing from the keystore, and never deletes it', async () => {
    t.vault = await openTestVault(t.root);
    const u = await unfinished(t.vault, 1);
    const other = join(t.root, 'other');
    mkdirSync(other);
    t.vault = await openTestVault(other);
    const dest = join(other, 'storage', u.path.slice(u.path.indexOf('recordings/')));
    mkdirSync(dirname(dest), { recursive: true });
    copyFileSync(u.path, dest);
    const res = await t.vault.recoverAll();
    assert.deepEqual(res.unrecoverable, [{ id: u.id, path: dest, code: 'CV_ERR_VAULT_KEY_DESTROYED' }]);
    assert.ok(readFileSync(dest).equals(readFileSync(u.path)));
  });

  it('skips finished containers and writers still open in this process', async () => {
    t.vault = await openTestVault(t.root);
    const done = await t.vault.createRecording({ format: FORMAT, metadata: {} });
    done.append(sinePcm16(1, 8000, 440));
    await done.finalize();
    const live = await t.vault.createRecording({ format: FORMAT, metadata: {} });
    live.append(sinePcm16(1, 8000, 440));
    assert.deepEqual(await t.vault.recoverAll(), { recovered: [], unrecoverable: [], tampered: [] });
    await live.finalize();
  });

  describe('finished containers (seal or index says so) are checked, never recovered', () => {
    async function finished(v: Vault, seconds = 7): Promise<{ id: string; path: string; digest: string }> {
      const w = await v.createRecording({ format: FORMAT, metadata: {} });
      w.append(sinePcm16(seconds, 8000, 440));
      const f = await w.finalize();
      return { id: f.id, path: f.path, digest: f.digest };
    }

    for (const kind of TAMPERS) {
      it(`${kind}: with the index lost, the seal alone keeps it from being "recovered"`, async () => {
        t.vault = await openTestVault(t.root, { segmentMs: 1000 });
        const a = await finished(t.vault);
        const b = await finished(t.vault);
        tamper(kind, a.path, b.path);
        const size = statSync(a.path).size;
        const res = await t.vault.recoverAll();
        assert.deepEqual(res.recovered, []);
        assert.deepEqual(
          res.tampered.map((t) => t.id),
          [a.id],
        );
        assert.equal(statSync(a.path).size, size, 'left exactly as it is');
        assert.match(res.tampered[0]!.code, /^CV_ERR_VAULT_(TRUNCATED|TAMPERED|DIGEST_MISMATCH)$/);
      });
    }

    it('the index digest alone (no seal) is authority too; a wrong digest is a mismatch', async () => {
      t.vault = await openTestVault(t.root, { segmentMs: 1000 });
      const a = await finished(t.vault);
      rmSync(join(t.root, 'storage', 'seals'), { recursive: true });
      truncateSync(a.path, Math.floor((statSync(a.path).size * 2) / 3));
      const res = await t.vault.recoverAll({ finished: new Map([[a.id, a.digest]]) });
      assert.deepEqual(res.recovered, []);
      assert.deepEqual(res.tampered, [{ id: a.id, path: a.path, code: 'CV_ERR_VAULT_TRUNCATED' }]);
      const b = await finished(t.vault);
      const res2 = await t.vault.recoverAll({
        finished: new Map([
          [a.id, a.digest],
          [b.id, '0'.repeat(64)],
        ]),
      });
      assert.deepEqual(
        res2.tampered.map((t) => [t.id, t.code]).sort(),
        [
          [a.id, 'CV_ERR_VAULT_TRUNCATED'],
          [b.id, 'CV_ERR_VAULT_DIGEST_MISMATCH'],
        ].sort(),
      );
    });

    it('an intact finished container passes the cheap check; a forged seal is ignored', async () => {
      t.vault = await openTestVault(t.root, { segmentMs: 1000 });
      const a = await finished(t.vault);
      assert.deepEqual(await t.vault.recoverAll({ finished: new Map([[a.id, a.digest]]) }), {
        recovered: [],
        unrecoverable: [],
        tampered: [],
      });
      const sealFile = join(t.root, 'storage', 'seals', `${a.id}.seal`);
      const seal = JSON.parse(readFileSync(sealFile, 'utf8')) as { fileBytes: number };
      writeFileSync(sealFile, JSON.stringify({ ...seal, fileBytes: seal.fileBytes + 1 }));
      assert.deepEqual(
        (await t.vault.recoverAll()).tampered,
        [],
        'a seal that does not verify is not authority',
      );
    });

    it('a recovered container gets a seal: cut later, it is no longer recovered again', async () => {
      const u = await unfinished(await openTestVault(t.root, { segmentMs: 1000 }), 5);
      t.vault = await openTestVault(t.root, { segmentMs: 1000 });
      const [r] = await t.vault.recover();
      assert.equal(r?.id, u.id);
      truncateSync(u.path, statSync(u.path).size - 100);
      const res = await t.vault.recoverAll();
      assert.deepEqual(res.recovered, []);
      assert.deepEqual(
        res.tampered.map((t) => t.id),
        [u.id],
      );
    });
  });
});
