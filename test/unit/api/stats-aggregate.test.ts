import assert from 'node:assert/strict';
import { agentGrouper, StatsAccumulator, suppress } from '../../../agent/src/api/stats-aggregate.js';
import type { RecordingRecord } from '../../../agent/src/index/index.js';

const cells = (o: Record<string, number>): Map<string, { calls: number; ms: number }> =>
  new Map(Object.entries(o).map(([k, calls]) => [k, { calls, ms: calls * 1000 }]));

function rec(over: Partial<RecordingRecord>): RecordingRecord {
  return {
    id: 'x',
    source: 'siprec',
    state: 'complete',
    startedAt: '2026-03-02T10:00:00.000Z',
    endedAt: null,
    durationMs: 1000,
    direction: 'inbound',
    service: 'billing',
    number: '+46701234567',
    numberWithheld: false,
    agent: '7201',
    agentName: 'Anna Agent',
    participants: [],
    caseId: null,
    policy: 'hrm',
    expiresAt: null,
    flags: [],
    format: { encoding: 'pcm16', channels: 2, sampleRate: 8000 },
    codec: 'PCMU',
    stats: null,
    digest: null,
    signature: null,
    legalHold: false,
    restricted: false,
    consent: 'not_required',
    quality: { mos: 4.2, lossPct: 0, jitterMs: 1 },
    ...over,
  };
}

describe('api/stats-aggregate', () => {
  it('leaves out cells under the minimum group size', () => {
    const out = suppress(cells({ billing: 12, sales: 2, support: 7 }), 5);
    assert.deepEqual(out.cells['billing'], { calls: 12, totalDurationMs: 12_000 });
    assert.ok(!('sales' in out.cells));
    // sales alone (2) would be total − shown: the next smallest cell is left out with it.
    assert.ok(!('support' in out.cells));
    assert.equal(out.suppressed, 2);
  });

  it('leaves out nothing more when the hidden cells already add up to the minimum', () => {
    const out = suppress(cells({ a: 3, b: 3, c: 9 }), 5);
    assert.deepEqual(Object.keys(out.cells), ['c']);
  });

  it('shows everything at or over the minimum; 1 disables suppression', () => {
    assert.equal(suppress(cells({ a: 5, b: 6 }), 5).cells['a']!.calls, 5);
    assert.equal(suppress(cells({ a: 1 }), 1).cells['a']!.calls, 1);
  });

  it('groups agents by the longest configured prefix, never by id', () => {
    const g = agentGrouper(['billing:72', 'billing-night:729', 'support:73']);
    assert.deepEqual(['7201', '7291', '7300', '9999', null].map(g), [
      'billing',
      'billing-night',
      'support',
      '(other)',
      '(none)',
    ]);
  });

  it('summarises quality per day: calls, no-media, one-way, mean and p5 MOS; small days left out', () => {
    const acc = new StatsAccumulator(agentGrouper(['billing:72']));
    const mos = [4.4, 4.3, 4.2, 4.1, 4.0, 3.9, 3.8, 3.7, 3.6, 2.0];
    mos.forEach((m, i) => acc.add(rec({ id: `a${i}`, quality: { mos: m, lossPct: 0, jitterMs: 1 } })));
    acc.add(rec({ id: 'nm', flags: ['no_media'], quality: null }));
    acc.add(rec({ id: 'ow', flags: ['one_way'], quality: { mos: 3.0, lossPct: 0, jitterMs: 1 } }));
    // Two more days with 2 and 3 calls: each under the minimum, left out (together they reach
    // it, so the big day stays).
    for (const [id, day] of [
      ['b1', '03'],
      ['b2', '03'],
      ['c1', '04'],
      ['c2', '04'],
      ['c3', '04'],
    ] as const)
      acc.add(rec({ id, startedAt: `2026-03-${day}T09:00:00.000Z`, agent: '9001', service: 'sales' }));
    const s = acc.result(5);
    assert.equal(s.calls, 17);
    const day = s.qualityByDay.cells['2026-03-02']!;
    assert.deepEqual([day.calls, day.noMedia, day.oneWay, day.withMos, day.p5Mos], [12, 1, 1, 11, 2.0]);
    assert.equal(day.meanMos, Math.round(((mos.reduce((a, b) => a + b, 0) + 3.0) / 11) * 100) / 100);
    assert.deepEqual(Object.keys(s.qualityByDay.cells), ['2026-03-02']);
    assert.deepEqual(Object.keys(s.byDay.cells), ['2026-03-02']);
    assert.equal(s.byDay.suppressed, 2);
    assert.deepEqual(Object.keys(s.byAgentGroup.cells), ['(other)', 'billing']);
    assert.deepEqual(s.byAgentGroup.cells['(other)'], { calls: 5, totalDurationMs: 5000 });
    assert.deepEqual(Object.keys(s.byService.cells), ['billing', 'sales']);
    assert.equal(acc.result(20).calls, null, 'a window under the minimum shows no total');
    assert.ok(!JSON.stringify(s).includes('7201') && !JSON.stringify(s).includes('+4670'));
  });
});
