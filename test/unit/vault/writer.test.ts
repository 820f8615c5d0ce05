import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync, writeFileSync, unlinkSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CallvaultError } from '../../../agent/src/common/index.js';
import { writeBacklogBytes, type VaultWriter } from '../../../agent/src/vault/index.js';
import {
  assertNoPlaintext,
  expectCode,
  filesUnder,
  noiseBytes,
  openTestVault,
  referenceWav,
  sinePcm16,
  useTestVault,
} from './helpers.js';
import { useTmpfs } from '../../helpers/tmpfs.js';

function nextEvent(w: VaultWriter, timeoutMs: number): Promise<'flushed' | CallvaultError> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no writer event in time')), timeoutMs);
    w.once('flushed', () => {
      clearTimeout(t);
      resolve('flushed');
    });
    w.once('error', (e) => {
      clearTimeout(t);
      resolve(e);
    });
  });
}

describe('vault/writer', function () {
  this.timeout(20000);
  const t = useTestVault();

  it('writes 60 s of stereo 8 kHz PCM16 that decrypts to the canonical WAV byte for byte, with no plaintext on disk', async () => {
    t.vault = await openTestVault(t.root, { fsync: 'batch', fsyncIntervalMs: 50 });
    const pcm = sinePcm16(60, 8000, 440, 880);
    const w = await t.vault.createRecording({
      format: { encoding: 'pcm16', channels: 2, sampleRate: 8000 },
      metadata: { agent: '1001' },
    });
    let flushed = 0;
    w.on('flushed', () => flushed++);
    // 20 ms packets, as the recorder delivers them; the caller reuses its buffer.
    const packet = Buffer.alloc(640);
    for (let o = 0; o < pcm.length / 2; o += 640) {
      pcm.copy(packet, 0, o, o + 640);
      w.append(packet);
    }
    packet.fill(0);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(flushed >= 15, `segments flushed while recording: ${flushed}`);
    assertNoPlaintext(join(t.root, 'storage'), pcm);
    w.append(pcm.subarray(pcm.length / 2));
    const fin = await w.finalize();
    assert.equal(fin.dataBytes, pcm.length);
    assert.equal(fin.durationMs, 60000);
    assert.equal(fin.recovered, false);
    assert.match(fin.path, /recordings\/\d{4}\/\d{2}\/\d{2}\/[0-9a-f-]{36}\.wav\.enc$/);
    const wav = await (await t.vault.openReader(fin.id)).readAll();
    assert.ok(wav.equals(referenceWav(1, 2, 8000, pcm)));
    assert.equal((await t.vault.verify(fin.id)).digest, fin.digest);
    assertNoPlaintext(join(t.root, 'storage'), pcm);
    assert.equal(statSync(fin.path).mode & 0o777, 0o600);
    assert.equal(statSync(join(t.root, 'storage', 'recordings')).mode & 0o777, 0o700);
  });

  for (const [encoding, tag] of [
    ['alaw', 6],
    ['ulaw', 7],
  ] as const) {
    it(`writes G.711 ${encoding} with the 18-byte fmt and fact chunk`, async () => {
      t.vault = await openTestVault(t.root, { segmentMs: 500 });
      const data = noiseBytes(8000 * 2 * 3 + 2, tag);
      const w = await t.vault.createRecording({
        format: { encoding, channels: 2, sampleRate: 8000 },
        metadata: {},
      });
      w.append(data);
      const fin = await w.finalize();
      const wav = await (await t.vault.openReader(fin.id)).readAll();
      assert.ok(wav.equals(referenceWav(tag, 2, 8000, data)));
      assert.equal(wav.readUInt16LE(20), tag);
      assert.equal(wav.toString('ascii', 38, 42), 'fact');
    });
  }

  it('the sample view: writes in place across segment boundaries and equals append(), G.711 refused', async () => {
    t.vault = await openTestVault(t.root, { segmentMs: 500 });
    const pcm = sinePcm16(3.3, 8000, 440, 880);
    const samples = new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length / 2);
    const w = await t.vault.createRecording({
      format: { encoding: 'pcm16', channels: 2, sampleRate: 8000 },
      metadata: {},
    });
    let flushed = 0;
    w.on('flushed', () => flushed++);
    // Passes of 1 234 frames: most cross a 4 000-frame segment boundary.
    for (let at = 0; at < samples.length;) {
      const pass = Math.min(2 * 1234, samples.length - at);
      for (let done = 0; done < pass;) {
        const k = Math.min(w.pcmRoom, pass - done);
        w.pcm.set(samples.subarray(at + done, at + done + k), w.pcmIndex);
        w.commitPcm(k);
        done += k;
      }
      at += pass;
    }
    assert.equal(w.dataBytes, pcm.length);
    await expectCode(() => w.commitPcm(w.pcmRoom + 2), 'CV_ERR_VAULT_BAD_RANGE');
    await expectCode(() => w.commitPcm(1), 'CV_ERR_VAULT_BAD_RANGE');
    const fin = await w.finalize();
    assert.equal(flushed, Math.ceil(pcm.length / 16000));
    const wav = await (await t.vault.openReader(fin.id)).readAll();
    assert.ok(wav.equals(referenceWav(1, 2, 8000, pcm)));
    assertNoPlaintext(join(t.root, 'storage'), pcm);
    const g711 = await t.vault.createRecording({
      format: { encoding: 'ulaw', channels: 1, sampleRate: 8000 },
      metadata: {},
    });
    await expectCode(() => g711.pcm, 'CV_ERR_VAULT_BAD_FORMAT');
    await g711.abort();
  });

  it('flushes a partial segment by timer, so buffered audio waits at most segmentMs', async () => {
    t.vault = await openTestVault(t.root, { segmentMs: 200 });
    const w = await t.vault.createRecording({
      format: { encoding: 'pcm16', channels: 1, sampleRate: 8000 },
      metadata: {},
    });
    const started = Date.now();
    const ev = nextEvent(w, 2000);
    w.append(sinePcm16(0.05, 8000, 440));
    assert.equal(await ev, 'flushed');
    const waited = Date.now() - started;
    assert.ok(waited >= 150 && waited < 1500, `flushed after ${waited} ms`);
    const fin = await w.finalize();
    assert.equal(fin.dataBytes, 800);
  });

  it('counts sealed audio waiting for the disk in writeBacklogBytes until it is written', async () => {
    t.vault = await openTestVault(t.root, { segmentMs: 200 });
    const w = await t.vault.createRecording({
      format: { encoding: 'pcm16', channels: 1, sampleRate: 8000 },
      metadata: {},
    });
    const before = writeBacklogBytes();
    // 1 s of audio is five full 200 ms segments, sealed and queued at once.
    w.append(sinePcm16(1, 8000, 440));
    const queued = writeBacklogBytes() - before;
    assert.ok(queued >= 5 * 3200 && queued < 5 * 3200 + 5 * 100, `queued ${queued} bytes`);
    let flushed = 0;
    w.on('flushed', () => flushed++);
    await w.finalize();
    assert.equal(flushed, 5);
    assert.equal(writeBacklogBytes(), before);
  });

  it('drops a trailing partial frame so the WAV stays frame aligned', async () => {
    t.vault = await openTestVault(t.root);
    const w = await t.vault.createRecording({
      format: { encoding: 'pcm16', channels: 2, sampleRate: 8000 },
      metadata: {},
    });
    w.append(Buffer.alloc(4 * 10 + 3, 1));
    const fin = await w.finalize();
    assert.equal(fin.dataBytes, 40);
  });

  it('refuses calls after finalize and after abort with CV_ERR_VAULT_CLOSED', async () => {
    t.vault = await openTestVault(t.root);
    const fmt = { encoding: 'pcm16', channels: 1, sampleRate: 8000 } as const;
    const a = await t.vault.createRecording({ format: fmt, metadata: {} });
    await a.finalize();
    await expectCode(() => a.append(Buffer.alloc(2)), 'CV_ERR_VAULT_CLOSED');
    await expectCode(() => a.updateMetadata({}), 'CV_ERR_VAULT_CLOSED');
    await expectCode(a.finalize(), 'CV_ERR_VAULT_CLOSED');
    await expectCode(a.abort(), 'CV_ERR_VAULT_CLOSED');
    const b = await t.vault.createRecording({ format: fmt, metadata: {} });
    await b.abort();
    await expectCode(() => b.append(Buffer.alloc(2)), 'CV_ERR_VAULT_CLOSED');
  });

  it('abort destroys the key and unlinks the file (consent declined)', async () => {
    t.vault = await openTestVault(t.root);
    const w = await t.vault.createRecording({
      format: { encoding: 'pcm16', channels: 1, sampleRate: 8000 },
      metadata: {},
    });
    w.append(sinePcm16(3, 8000, 440));
    await w.abort();
    assert.equal(existsSync(w.path), false);
    assert.deepEqual(await t.vault.listIds(), []);
    await expectCode(t.vault.openReader(w.id), 'CV_ERR_VAULT_NOT_FOUND');
  });

  it('fsync policy segment: every flushed record is written before the event', async () => {
    t.vault = await openTestVault(t.root, { fsync: 'segment', segmentMs: 100 });
    const w = await t.vault.createRecording({
      format: { encoding: 'pcm16', channels: 1, sampleRate: 8000 },
      metadata: {},
    });
    const sizes: number[] = [];
    w.on('flushed', () => sizes.push(statSync(w.path).size));
    w.append(sinePcm16(1, 8000, 440));
    await w.finalize();
    assert.equal(sizes.length, 10);
    assert.ok(sizes.every((s, i) => i === 0 || s > (sizes[i - 1] as number)));
  });

  describe('disk full', () => {
    const tmpfs = useTmpfs();

    it('stops with CV_ERR_VAULT_DISK_FULL on ENOSPC, keeps flushed segments, and they recover', async function () {
      const m = tmpfs.mount(this, join(t.root, 'tmpfs'), '512k');
      t.vault = await openTestVault(m, { fsync: 'segment', segmentMs: 1000 });
      const w = await t.vault.createRecording({
        format: { encoding: 'pcm16', channels: 1, sampleRate: 8000 },
        metadata: { n: 1 },
      });
      const free = Number(execFileSync('df', ['-B1', '--output=avail', m]).toString().split('\n')[1]);
      writeFileSync(join(m, 'filler'), Buffer.alloc(Math.max(0, free - 100 * 1024)));
      const pcm = sinePcm16(30, 8000, 440);
      let flushedAudio = 0;
      let failure: CallvaultError | undefined;
      for (let o = 0; o < pcm.length && failure === undefined; o += 16000) {
        const ev = nextEvent(w, 5000);
        w.append(pcm.subarray(o, o + 16000));
        const r = await ev;
        if (r === 'flushed') flushedAudio += 16000;
        else failure = r;
      }
      assert.ok(failure, 'the disk never filled');
      assert.equal(failure.code, 'CV_ERR_VAULT_DISK_FULL');
      assert.ok(flushedAudio >= 16000 * 2, `flushed ${flushedAudio}`);
      await expectCode(() => w.append(Buffer.alloc(2)), 'CV_ERR_VAULT_DISK_FULL');
      await expectCode(w.finalize(), 'CV_ERR_VAULT_DISK_FULL');
      unlinkSync(join(m, 'filler'));
      const rec = await t.vault.recover();
      assert.equal(rec.length, 1);
      assert.equal(rec[0]?.dataBytes, flushedAudio);
      assert.deepEqual(rec[0]?.metadata, { n: 1 });
      assert.equal((await t.vault.verify(w.id)).recovered, true);
      const wav = await (await t.vault.openReader(w.id)).readAll();
      assert.ok(wav.equals(referenceWav(1, 1, 8000, pcm.subarray(0, flushedAudio))));
      await t.vault.close();
      t.vault = undefined;
      assert.ok(filesUnder(m).length > 0 && readdirSync(m).includes('storage'));
    });
  });
});
