/** retention-scan.ts: due recordings read page by page from the expiry index, nothing decrypted. */
import assert from 'node:assert/strict';
import { openIndex } from '../../../agent/src/index/index.js';
import type { DuePage } from '../../../agent/src/index/index.js';
import { indexOptions, makePools, makeRecord, prng, testKeys, useTestIndex } from './helpers/fixtures.js';

const rnd = prng(61);
const pools = makePools(rnd, { numbers: 20, agents: 5, cases: 5 });
const AT = Date.parse('2030-01-01T00:00:00.000Z');

describe('index/retention-scan', function () {
  this.timeout(20_000);
  const t = useTestIndex();

  it('pages through exactly the recordings expired before the time, with plain fields only', async () => {
    // Record keys that say "shredded" for every id: the scan must not need them.
    t.index = await openIndex(
      indexOptions(t.dir, testKeys(), { recordKeys: (ids) => Promise.resolve(ids.map(() => undefined)) }),
    );
    const recs = Array.from({ length: 2500 }, (_, i) =>
      makeRecord(rnd, pools, i, {
        expiresAt: i % 4 === 0 ? null : new Date(AT + (i % 2 === 0 ? 1 : -1) * (1 + i) * 1000).toISOString(),
        legalHold: i % 7 === 0,
        policy: i % 3 === 0 ? 'hrm' : 'sales',
      }),
    );
    // Exactly at the time is not yet due (as the search's expiresBefore).
    recs.push(makeRecord(rnd, pools, 9999, { expiresAt: new Date(AT).toISOString() }));
    await t.index.putRecordings(recs);
    const want = recs.filter((r) => r.expiresAt !== null && Date.parse(r.expiresAt) < AT);
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const page: DuePage = await t.index.duePage(new Date(AT), after, 300);
      for (const v of page.items) {
        const r = recs.find((x) => x.id === v.id)!;
        assert.deepEqual(v, {
          id: r.id,
          policy: r.policy,
          expiresAt: r.expiresAt,
          legalHold: r.legalHold,
          restricted: r.restricted,
          flags: r.flags,
        });
        seen.push(v.id);
      }
      after = page.next;
      pages++;
      assert.ok(pages < 100, 'bounded');
    } while (after !== null);
    console.log(`      ${seen.length} due of ${recs.length} in ${pages} pages`);
    assert.deepEqual([...seen].sort(), want.map((r) => r.id).sort());
    const expiries = seen.map((id) => Date.parse(recs.find((r) => r.id === id)!.expiresAt!));
    assert.deepEqual(
      expiries,
      [...expiries].sort((a, b) => a - b),
      'oldest expiry first',
    );
  });
});
