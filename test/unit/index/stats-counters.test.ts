/** stats-counters.ts: the counter codec and its upkeep in the index's write paths. */
import assert from 'node:assert/strict';
import { openIndex } from '../../../agent/src/index/index.js';
import type { RecordingIndex, RecordingRecord } from '../../../agent/src/index/index.js';
import {
  CounterDelta,
  contributionOf,
  counterKey,
  parseCounterKey,
} from '../../../agent/src/index/stats-counters.js';
import { agentGrouper, StatsAccumulator } from '../../../agent/src/api/stats-aggregate.js';
import { indexOptions, makePools, makeRecord, prng, testKeys, useTestIndex } from './helpers/fixtures.js';

const GROUPS = ['billing:a1', 'support:a2'];
const rnd = prng(16);
const pools = makePools(rnd, { numbers: 50, agents: 30, cases: 10 });

function withMos(i: number, over: Partial<RecordingRecord> = {}): RecordingRecord {
  const mos = i % 7 === 0 ? null : Math.round((1 + ((i * 37) % 350) / 100) * 100) / 100;
  const flags = i % 11 === 0 ? ['no_media'] : i % 13 === 0 ? ['one_way'] : i % 17 === 0 ? ['training'] : [];
  return makeRecord(rnd, pools, i, {
    quality: mos === null ? null : { mos, lossPct: 0, jitterMs: 1 },
    flags,
    ...over,
  });
}

/** What the counters must say: the old full scan over the records themselves. */
async function scanned(index: RecordingIndex, groups: readonly string[]): Promise<unknown> {
  const acc = new StatsAccumulator(agentGrouper(groups));
  for (const id of await index.listIds()) acc.add((await index.getRecording(id))!);
  return acc.result(1);
}

async function counted(index: RecordingIndex): Promise<unknown> {
  const acc = new StatsAccumulator(agentGrouper([]));
  for (const cell of await index.statsCounters('0000-00-00', '9999-99-99')) acc.addCell(cell);
  return acc.result(1);
}

describe('index/stats-counters', function () {
  this.timeout(30_000);
  const t = useTestIndex();

  it('keys hold day, service, direction and group only; a training copy counts nothing', () => {
    const key = counterKey('2026-03-02', 'bill!ing', 'inbound', 'night shift');
    assert.deepEqual(parseCounterKey(key), {
      day: '2026-03-02',
      service: 'bill!ing',
      direction: 'inbound',
      group: 'night shift',
    });
    assert.equal(parseCounterKey(counterKey('2026-03-02', null, 'outbound', '(none)')).service, null);
    const stored = {
      flags: ['training'],
      startedAt: '2026-03-02T10:00:00.000Z',
      service: 's',
      direction: 'inbound',
      durationMs: 1,
      ab: null,
    } as unknown as Parameters<typeof contributionOf>[0];
    assert.equal(contributionOf(stored), null);
    const d = new CounterDelta();
    d.add(contributionOf({ ...stored, flags: [] }), 1);
    d.add(contributionOf({ ...stored, flags: [] }), -1);
    assert.deepEqual(d.entries(), [], 'in and out again nets to nothing');
  });

  it('follows puts, replacements, rectification, anonymisation and deletion in the same batch', async () => {
    const keys = testKeys();
    t.index = await openIndex(indexOptions(t.dir, keys, { statsAgentGroups: GROUPS }));
    const recs = Array.from({ length: 300 }, (_, i) =>
      withMos(i, { agent: i % 3 === 0 ? `a1${i}` : i % 3 === 1 ? `a2${i}` : null }),
    );
    await t.index.putRecordings(recs.slice(0, 250));
    for (const r of recs.slice(250)) await t.index.putRecording(r);
    assert.deepEqual(await counted(t.index), await scanned(t.index, GROUPS), 'after puts');
    const calls = (await counted(t.index)) as { calls: number };
    assert.equal(calls.calls, recs.filter((r) => !r.flags.includes('training')).length);

    // A replacement moving a record to another day and service, and rectifications of
    // service, quality, flags (training in and out) and agent.
    await t.index.putRecording({ ...recs[1]!, startedAt: '2027-01-01T00:00:00.000Z', service: 'moved' });
    await t.index.update(recs[2]!.id, {
      service: 'rectified',
      quality: { mos: 1.5, lossPct: 9, jitterMs: 9 },
    });
    await t.index.update(recs[4]!.id, { flags: ['training'] });
    await t.index.update(recs[17]!.id, { flags: [] });
    await t.index.update(recs[5]!.id, { agent: 'a2-moved' });
    // Anonymisation as retention does it: the agent goes, so the call counts under (none).
    await t.index.update(recs[6]!.id, { agent: null, agentName: null, number: null, participants: [] });
    assert.deepEqual(await counted(t.index), await scanned(t.index, GROUPS), 'after updates');

    const gone = recs.filter((_, i) => i % 5 === 0).map((r) => r.id);
    assert.equal(await t.index.deleteRecordings(gone, { compact: false }), gone.length);
    assert.deepEqual(await counted(t.index), await scanned(t.index, GROUPS), 'after deletions');

    const cells = await t.index.statsCounters('0000-00-00', '9999-99-99');
    console.log(`      ${(await t.index.listIds()).length} records → ${cells.length} counter cells`);
    const raw = JSON.stringify(cells);
    assert.ok(!recs.some((r) => r.agent !== null && raw.includes(`"${r.agent}"`)), 'no agent id');
    assert.ok(!recs.some((r) => r.number !== null && raw.includes(r.number)), 'no number');
  });

  it('rebuild gives the same counters; changed agent groups are recounted at open', async () => {
    const keys = testKeys();
    t.index = await openIndex(indexOptions(t.dir, keys, { statsAgentGroups: GROUPS }));
    const recs = Array.from({ length: 200 }, (_, i) =>
      withMos(i, { agent: i % 2 === 0 ? `a1${i}` : `a2${i}` }),
    );
    await t.index.putRecordings(recs);
    await t.index.update(recs[3]!.id, { service: 'rectified' });
    await t.index.deleteRecordings([recs[8]!.id], { compact: false });
    const before = await t.index.statsCounters('0000-00-00', '9999-99-99');
    const current = await Promise.all((await t.index.listIds()).map((id) => t.index!.getRecording(id)));
    async function* source(): AsyncIterable<RecordingRecord> {
      for (const r of current) yield r!;
    }
    assert.equal(await t.index.rebuild(source()), recs.length - 1);
    assert.deepEqual(await t.index.statsCounters('0000-00-00', '9999-99-99'), before);
    await t.index.close();

    // Another grouping: every a1 agent is now in "all"; a2 agents fall to (other).
    const regrouped = ['all:a1'];
    t.index = await openIndex(indexOptions(t.dir, keys, { statsAgentGroups: regrouped }));
    const after = (await counted(t.index)) as { byAgentGroup: { cells: Record<string, unknown> } };
    assert.deepEqual(Object.keys(after.byAgentGroup.cells), ['(other)', 'all']);
    assert.deepEqual(after, await scanned(t.index, regrouped));
    // A deletion after the regrouping takes the record out of its new cell.
    await t.index.deleteRecordings([recs[0]!.id], { compact: false });
    assert.deepEqual(await counted(t.index), await scanned(t.index, regrouped));
  });
});
