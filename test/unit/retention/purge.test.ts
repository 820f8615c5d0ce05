import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../agent/src/config/index.js';
import { silentLogger } from '../../../agent/src/common/index.js';
import { importWav, openStorage, type Actor, type Storage } from '../../../agent/src/storage/index.js';
import { PURGE_BATCH } from '../../../agent/src/retention/purge.js';
import { runRetention } from '../../../agent/src/retention/index.js';
import { DEV_CONFIG } from '../../helpers/daemon.js';
import { wavOf } from '../../helpers/shred-scan.js';

const SYSTEM: Actor = { name: 'retention', role: 'system', from: 'test' };
const WAV = wavOf(Buffer.alloc(800, 3));
const PAST = new Date(Date.now() - 400 * 86_400_000).toISOString();

function containers(root: string): string[] {
  return readdirSync(root, { withFileTypes: true, recursive: true })
    .filter((e) => e.name.endsWith('.wav.enc'))
    .map((e) => join(e.parentPath, e.name));
}

describe('retention/purge: due recordings deleted in batches', function () {
  this.timeout(120_000);
  let dir: string;
  let s: Storage;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cv-purge-'));
    const config = loadConfig({ file: DEV_CONFIG, sets: [`storage.dir=${dir}`, 'policy.name=hrm'] });
    s = await openStorage({ config, log: silentLogger() });
  });
  afterEach(async () => {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const imp = async (n: number, startedAt = PAST): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++)
      ids.push(
        (
          await importWav(
            s,
            SYSTEM,
            WAV,
            JSON.stringify({ number: `+4670100${String(i).padStart(4, '0')}`, startedAt }),
          )
        ).id,
      );
    return ids;
  };

  it(`over more than one batch (${PURGE_BATCH}): every due one gone with its key, audited one entry each, the chain intact`, async () => {
    const due = await imp(PURGE_BATCH + 20);
    const [kept] = await imp(1, new Date().toISOString());
    // Every entry: a batch and its imports outnumber listAudit's default page.
    const auditBefore = (await s.index.listAudit({ limit: 10_000 })).length;
    const report = await runRetention(s, SYSTEM);
    assert.deepEqual([...report.deleted].sort(), [...due].sort());
    assert.deepEqual(report.failed, []);
    for (const id of [due[0]!, due[PURGE_BATCH]!, due.at(-1)!]) {
      assert.equal(await s.index.getRecording(id), null);
      assert.equal(await s.vault.hasDataKey(id), false);
    }
    assert.equal(containers(dir).length, 1, 'only the recording not yet due keeps its container');
    assert.notEqual(await s.index.getRecording(kept!), null);
    const entries = (await s.index.listAudit({ limit: 10_000 })).slice(auditBefore);
    const deletes = entries.filter((e) => e.action === 'retention_delete');
    assert.deepEqual(deletes.map((e) => e.recordingId).sort(), [...due].sort());
    assert.equal((await s.index.verifyAudit()).ok, true);
  });

  it('one recording that cannot be removed fails alone: the rest of its batch is deleted, it stays for the next run', async () => {
    const due = await imp(10);
    // A directory where the container was: unlink fails (EISDIR), as a file system fault would.
    const victim = due[4]!;
    const path = containers(dir).find((p) => p.includes(victim))!;
    rmSync(path);
    mkdirSync(path);
    const report = await runRetention(s, SYSTEM);
    assert.deepEqual(
      report.failed.map((f) => f.id),
      [victim],
    );
    assert.equal(report.deleted.length, 9);
    assert.notEqual(await s.index.getRecording(victim), null, 'still indexed: the next run retries it');
    for (const id of due.filter((d) => d !== victim)) assert.equal(await s.index.getRecording(id), null);
  });
});
