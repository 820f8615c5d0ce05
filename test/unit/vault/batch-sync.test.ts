import assert from 'node:assert/strict';
import { BatchSyncer, type Syncable } from '../../../agent/src/vault/batch-sync.js';

function counter(): Syncable & { n: number } {
  const s = { n: 0, syncNow: async (): Promise<void> => void s.n++ };
  return s;
}

describe('vault/batch-sync', function () {
  this.timeout(5000);
  it('groups fsyncs: a file marked dirty many times in one interval is synced once', async () => {
    const b = new BatchSyncer(30);
    const a = counter();
    const c = counter();
    for (let i = 0; i < 50; i++) b.markDirty(a);
    b.markDirty(c);
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(a.n, 1);
    assert.equal(c.n, 1);
    await b.close();
  });

  it('remove() drops a file from the batch; close() syncs what is dirty and stops', async () => {
    const b = new BatchSyncer(10000);
    const a = counter();
    const c = counter();
    b.markDirty(a);
    b.markDirty(c);
    b.remove(c);
    await b.close();
    assert.equal(a.n, 1);
    assert.equal(c.n, 0);
    b.markDirty(a);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(a.n, 1);
  });
});
