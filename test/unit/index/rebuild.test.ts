/** rebuild.ts and RecordingIndex.rebuild: refill from the vault's records, salvage a corrupt index. */
import assert from 'node:assert/strict';
import { readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { hashPassword, openIndex, rebuildIndex } from '../../../agent/src/index/index.js';
import type {
  IndexOptions,
  RecordingIndex,
  RecordingRecord,
  SearchQuery,
} from '../../../agent/src/index/index.js';
import { indexOptions, makePools, makeRecord, pick, prng, SERVICES, tempDir } from './helpers/fixtures.js';
import type { Pools } from './helpers/fixtures.js';

async function* fromVault(records: readonly RecordingRecord[]): AsyncIterable<RecordingRecord> {
  for (const r of records) yield r;
}

function queries(pools: Pools, records: readonly RecordingRecord[]): SearchQuery[] {
  const rnd = prng(17);
  return Array.from({ length: 40 }, (_, i) => {
    const r = pick(rnd, records);
    const kinds: SearchQuery[] = [
      { number: r.number ?? pick(rnd, pools.numbers) },
      { agent: r.agent ?? '2000', from: '2024-03-01T00:00:00Z', to: '2024-09-01T00:00:00Z' },
      { service: pick(rnd, SERVICES), from: r.startedAt },
      { expiresBefore: '2024-06-01T00:00:00Z', order: 'asc' },
      { caseId: r.caseId ?? 'CASE-00001' },
    ];
    return { ...(kinds[i % kinds.length] as SearchQuery), limit: 1000 };
  });
}

async function answers(index: RecordingIndex, qs: readonly SearchQuery[]): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const q of qs) out.push((await index.search(q)).items);
  return out;
}

describe('index/rebuild', function () {
  this.timeout(30_000);
  let tmp: ReturnType<typeof tempDir>;
  let opts: IndexOptions;
  let index: RecordingIndex | undefined;
  const rnd = prng(23);
  const pools = makePools(rnd, { numbers: 300, agents: 20, cases: 100 });
  const records = Array.from({ length: 4000 }, (_, i) => makeRecord(rnd, pools, i));
  const qs = queries(pools, records);

  beforeEach(() => {
    tmp = tempDir();
    opts = indexOptions(tmp.dir);
    index = undefined;
  });
  afterEach(async () => {
    await index?.close();
    tmp.cleanup();
  });

  it('rebuild() reproduces the same search results and keeps users, grants and audit', async () => {
    index = await openIndex(opts);
    await index.putRecordings(records);
    await index.putUser({
      username: 'dpo1',
      role: 'dpo',
      passwordHash: await hashPassword('pw', { N: 1024 }),
    });
    await index.putGrant({
      username: 'dpo1',
      grantedBy: 'dpo1',
      expiresAt: '2999-01-01T00:00:00Z',
      scope: { services: null, recordingIds: null, pseudonymised: true },
    });
    await index.appendAudit({ actor: 'dpo1', role: 'dpo', action: 'search' });
    const before = await answers(index, qs);
    assert.ok(before.filter((a) => (a as unknown[]).length > 0).length > 20, 'queries return data');
    // An index that drifted: a stray recording the vault does not have, one recording missing.
    await index.putRecording(makeRecord(rnd, pools, 99_999, { id: 'stray' }));
    await index.deleteRecording((records[0] as RecordingRecord).id, { compact: false });

    assert.equal(await index.rebuild(fromVault(records)), records.length);
    assert.deepEqual(await answers(index, qs), before);
    assert.equal(await index.getRecording('stray'), null);
    assert.equal((await index.listIds()).length, records.length);
    assert.equal((await index.listUsers()).length, 1);
    assert.equal((await index.listGrants()).length, 1);
    assert.deepEqual(await index.verifyAudit(), { ok: true, entries: 1, anchors: 0 });
  });

  it('rebuildIndex() repairs a corrupt index (truncated table), then rebuilds it', async () => {
    index = await openIndex(opts);
    await index.putRecordings(records);
    const before = await answers(index, qs);
    await index.close();
    index = await openIndex(opts);
    await index.close();
    const table = readdirSync(opts.dir).find((f) => f.endsWith('.ldb')) as string;
    truncateSync(join(opts.dir, table), Math.floor(statSync(join(opts.dir, table)).size / 3));
    await assert.rejects(openIndex(opts), { code: 'CV_ERR_INDEX_CORRUPT' });

    const report = await rebuildIndex(opts, fromVault(records));
    assert.equal(report.recordings, records.length);
    assert.equal(report.repaired, true);
    assert.equal(report.recreated, false);
    index = await openIndex(opts);
    assert.deepEqual(await answers(index, qs), before);
    assert.deepEqual((await index.checkConsistency()).dangling, []);
  });

  it('rebuildIndex() recovers an index whose CURRENT file is gone', async () => {
    index = await openIndex(opts);
    await index.putRecordings(records.slice(0, 500));
    await index.appendAudit({ actor: 'admin', role: 'admin', action: 'login' });
    await index.close();
    rmSync(join(opts.dir, 'CURRENT'));
    const report = await rebuildIndex(opts, fromVault(records));
    assert.equal(report.repaired, true);
    assert.deepEqual(report.audit, { ok: true, entries: 1, anchors: 1 }, 'the audit chain was salvaged');
    index = await openIndex(opts);
    assert.equal((await index.listIds()).length, records.length);
  });

  it('rebuildIndex() on a healthy index only refills the recordings', async () => {
    const report = await rebuildIndex(opts, fromVault(records.slice(0, 10)));
    assert.deepEqual(report, {
      recordings: 10,
      repaired: false,
      recreated: false,
      audit: { ok: true, entries: 0, anchors: 0 },
    });
  });
});
