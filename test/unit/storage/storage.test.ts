import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../../agent/src/config/index.js';
import { openStorage, parseImportMeta, recordFromParts } from '../../../agent/src/storage/index.js';
import { silentLogger } from '../../../agent/src/common/index.js';
import { DEV_CONFIG } from '../../helpers/daemon.js';

const PCM = Buffer.alloc(8000 * 4, 1);

describe('storage/storage', function () {
  this.timeout(30_000);
  let dir: string;
  let config: Config;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cv-storage-'));
    config = loadConfig({ file: DEV_CONFIG, sets: [`storage.dir=${dir}`] });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('re-indexes a vault file that has no index entry, and drops an index entry without a file', async () => {
    const s1 = await openStorage({ config, log: silentLogger() });
    const meta = parseImportMeta(
      JSON.stringify({ number: '+46701111111', agent: '42' }),
      config.policy,
      new Date(),
    );
    const writer = await s1.vault.createRecording({
      format: { encoding: 'pcm16', channels: 2, sampleRate: 8000 },
      metadata: { ...meta },
      startedAt: new Date(),
    });
    writer.append(PCM);
    const finished = await writer.finalize();
    // A second recording is indexed but its container then disappears (deleted by hand).
    const ghostWriter = await s1.vault.createRecording({
      format: { encoding: 'pcm16', channels: 2, sampleRate: 8000 },
      metadata: { ...meta },
      startedAt: new Date(),
    });
    ghostWriter.append(PCM);
    const ghost = await ghostWriter.finalize();
    await s1.index.putRecording(recordFromParts(ghost.id, meta, ghost, ghost.format, config.policy));
    await s1.vault.erase(ghost.id);
    await s1.close();

    const s2 = await openStorage({ config, log: silentLogger() });
    try {
      assert.deepEqual(s2.startup.reindexed, [finished.id]);
      assert.deepEqual(s2.startup.orphansRemoved, [ghost.id]);
      const rec = await s2.index.getRecording(finished.id);
      assert.equal(rec?.number, '+46701111111');
      assert.equal(rec?.agent, '42');
      assert.equal(await s2.index.getRecording(ghost.id), null);
    } finally {
      await s2.close();
    }
  });

  it('finalises writers still open when it closes', async () => {
    const s = await openStorage({ config, log: silentLogger() });
    const writer = await s.vault.createRecording({
      format: { encoding: 'pcm16', channels: 1, sampleRate: 8000 },
      metadata: {},
      startedAt: new Date(),
    });
    s.track(writer);
    writer.append(PCM);
    assert.equal(s.activeWriters, 1);
    await s.close();
    await s.close();
    const again = await openStorage({ config, log: silentLogger() });
    try {
      assert.deepEqual(again.startup.recovered, [], 'nothing left to recover: it was finalised');
      assert.ok((await again.vault.verify(writer.id)).ok);
    } finally {
      await again.close();
    }
  });

  it('refuses use after close with a coded error', async () => {
    const s = await openStorage({ config, log: silentLogger() });
    await s.close();
    assert.throws(
      () => s.index,
      (e: unknown) => (e as { code?: string }).code === 'CV_ERR_STORAGE_CLOSED',
    );
  });
});
