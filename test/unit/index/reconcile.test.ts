/** reconcile.ts: the index/vault consistency pass, and repairing what it finds. */
import assert from 'node:assert/strict';
import { openIndex, reconcile } from '../../../agent/src/index/index.js';
import { indexOptions, makePools, makeRecord, prng, tempDir } from './helpers/fixtures.js';

describe('index/reconcile', () => {
  it('reports ids on one side only, sorted, without duplicates', () => {
    assert.deepEqual(reconcile(['c', 'a', 'b', 'a'], ['b', 'd', 'c', 'e']), {
      missingInIndex: ['d', 'e'],
      missingInVault: ['a'],
    });
    assert.deepEqual(reconcile([], []), { missingInIndex: [], missingInVault: [] });
  });

  it('a vault file without an index entry is found and re-indexed; an orphan entry removed', async function () {
    this.timeout(10_000);
    const tmp = tempDir();
    const index = await openIndex(indexOptions(tmp.dir));
    try {
      const rnd = prng(1);
      const pools = makePools(rnd, { numbers: 10, agents: 2, cases: 2 });
      const vault = Array.from({ length: 5 }, (_, i) => makeRecord(rnd, pools, i));
      // Crash after the vault wrote the last file, before the index batch.
      await index.putRecordings(vault.slice(0, 4));
      await index.putRecording(makeRecord(rnd, pools, 9, { id: 'orphan' }));
      const r = reconcile(
        await index.listIds(),
        vault.map((v) => v.id),
      );
      assert.deepEqual(r, { missingInIndex: [vault[4]?.id], missingInVault: ['orphan'] });
      await index.putRecordings(vault.filter((v) => r.missingInIndex.includes(v.id)));
      for (const id of r.missingInVault) await index.deleteRecording(id);
      assert.deepEqual(
        reconcile(
          await index.listIds(),
          vault.map((v) => v.id),
        ),
        { missingInIndex: [], missingInVault: [] },
      );
    } finally {
      await index.close();
      tmp.cleanup();
    }
  });
});
