import assert from 'node:assert/strict';
import { suppress } from '../../../agent/src/api/stats.js';

const cells = (o: Record<string, number>): Map<string, { calls: number; ms: number }> =>
  new Map(Object.entries(o).map(([k, calls]) => [k, { calls, ms: calls * 1000 }]));

describe('api/stats', () => {
  it('hides cells under the minimum group size', () => {
    const out = suppress(cells({ billing: 12, sales: 2, support: 7 }), 5);
    assert.deepEqual(out['billing'], { calls: 12, totalDurationMs: 12_000 });
    assert.deepEqual(out['sales'], { calls: null, totalDurationMs: null });
    // sales alone (2) would be total − shown: the next smallest cell is hidden with it.
    assert.deepEqual(out['support'], { calls: null, totalDurationMs: null });
  });

  it('hides nothing more when the hidden cells already add up to the minimum', () => {
    const out = suppress(cells({ a: 3, b: 3, c: 9 }), 5);
    assert.equal(out['a']!.calls, null);
    assert.equal(out['b']!.calls, null);
    assert.equal(out['c']!.calls, 9);
  });

  it('shows everything at or over the minimum; 1 disables suppression', () => {
    assert.equal(suppress(cells({ a: 5, b: 6 }), 5)['a']!.calls, 5);
    assert.equal(suppress(cells({ a: 1 }), 1)['a']!.calls, 1);
  });
});
