import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { importWav, type Actor } from '../../../agent/src/storage/index.js';
import { PURGE_BATCH } from '../../../agent/src/retention/purge.js';
import { runRetention } from '../../../agent/src/retention/index.js';
import { useTempStorage } from '../../helpers/temp-storage.js';
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
  const t = useTempStorage('cv-purge-', ['policy.name=hrm']);

  const imp = async (n: number, startedAt = PAST): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++)
      ids.push(
        (
          await importWav(
            t.storage,
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
    const auditBefore = (await t.storage.index.listAudit({ limit: 10_000 })).length;
    const report = await runRetention(t.storage, SYSTEM);
    assert.deepEqual([...report.deleted].sort(), [...due].sort());
    assert.deepEqual(report.failed, []);
    for (const id of [due[0]!, due[PURGE_BATCH]!, due.at(-1)!]) {
      assert.equal(await t.storage.index.getRecording(id), null);
      assert.equal(await t.storage.vault.hasDataKey(id), false);
    }
    assert.equal(containers(t.dir).length, 1, 'only the recording not yet due keeps its container');
    assert.notEqual(await t.storage.index.getRecording(kept!), null);
    const entries = (await t.storage.index.listAudit({ limit: 10_000 })).slice(auditBefore);
    const deletes = entries.filter((e) => e.action === 'retention_delete');
    assert.deepEqual(deletes.map((e) => e.recordingId).sort(), [...due].sort());
    assert.equal((await t.storage.index.verifyAudit()).ok, true);
  });

  it('one recording that cannot be removed fails alone: the rest of its batch is deleted, it stays for the next run', async () => {
    const due = await imp(10);
    // A directory where the container was: unlink fails (EISDIR), as a file system fault would.
    const victim = due[4]!;
    const path = containers(t.dir).find((p) => p.includes(victim))!;
    rmSync(path);
    mkdirSync(path);
    const report = await runRetention(t.storage, SYSTEM);
    assert.deepEqual(
      report.failed.map((f) => f.id),
      [victim],
    );
    assert.equal(report.deleted.length, 9);
    assert.notEqual(
      await t.storage.index.getRecording(victim),
      null,
      'still indexed: the next run retries it',
    );
    for (const id of due.filter((d) => d !== victim))
      assert.equal(await t.storage.index.getRecording(id), null);
  });
});
