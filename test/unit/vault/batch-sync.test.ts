import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNativeAddon } from '../../../agent/src/common/index.js';
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

  it('with syncfs: one filesystem sync per batch instead of one per file; falls back to per-file syncs if it fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cv-syncfs-'));
    try {
      const native = loadNativeAddon<{ syncfs(d: string): Promise<void> }>('fs-sync').addon;
      assert.ok(native !== null, 'the fs-sync addon is built by make');
      let calls = 0;
      let fail = false;
      const b = new BatchSyncer(20, undefined, {
        dir,
        syncfs: async (d) => {
          calls++;
          if (fail) throw Object.assign(new Error('EIO'), { code: 'EIO' });
          await native.syncfs(d);
        },
      });
      const files = Array.from({ length: 20 }, counter);
      for (const f of files) b.markDirty(f);
      b.markDirDirty(dir);
      await new Promise((r) => setTimeout(r, 80));
      assert.equal(calls, 1);
      assert.ok(
        files.every((f) => f.n === 0),
        'no per-file fsync when syncfs succeeded',
      );
      fail = true;
      for (const f of files) b.markDirty(f);
      await b.close();
      assert.equal(calls, 2);
      assert.ok(
        files.every((f) => f.n === 1),
        'each file synced on its own after syncfs failed',
      );
      await assert.rejects(
        async () => native.syncfs(join(dir, 'missing')),
        (e: { code?: string }) => e.code === 'ENOENT',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
