import assert from 'node:assert/strict';
import { cachedSource } from '../../../agent/src/metrics/cached-source.js';

describe('metrics/cached-source', () => {
  it('computes once for concurrent first reads, then serves the cached value until it is stale', async () => {
    let now = 1000;
    let computed = 0;
    let release: (() => void) | null = null;
    const get = cachedSource(
      () =>
        new Promise<number>((resolve) => {
          computed++;
          const n = computed;
          release = () => resolve(n * 10);
        }),
      60_000,
      () => now,
    );
    const first = [get(), get(), get()];
    release!();
    assert.deepEqual(await Promise.all(first), [10, 10, 10]);
    assert.equal(computed, 1);
    now += 59_999;
    assert.equal(await get(), 10);
    assert.equal(computed, 1);
    now += 1;
    // Stale: the old value is served at once and one refresh starts.
    assert.equal(await get(), 10);
    assert.equal(await get(), 10);
    assert.equal(computed, 2);
    release!();
    await new Promise((r) => setImmediate(r));
    assert.equal(await get(), 20);
  });

  it('a failed refresh keeps the last value and is retried on a later read', async () => {
    let now = 0;
    let fail = false;
    let calls = 0;
    const get = cachedSource(
      async () => {
        calls++;
        if (fail) throw new Error('disk gone');
        return calls;
      },
      10,
      () => now,
    );
    assert.equal(await get(), 1);
    fail = true;
    now = 10;
    assert.equal(await get(), 1);
    await new Promise((r) => setImmediate(r));
    fail = false;
    assert.equal(await get(), 1);
    await new Promise((r) => setImmediate(r));
    assert.equal(await get(), 3);
    await assert.rejects(cachedSource(async () => Promise.reject(new Error('x')), 10)(), /x/);
  });
});
