/** recording-index.ts: lifecycle, writes, erasure, consistency, kill -9 atomicity. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { ClassicLevel } from 'classic-level';
import { openIndex } from '../../../agent/src/index/index.js';
import type { RecordingRecord } from '../../../agent/src/index/index.js';
import { indexOptions, makePools, makeRecord, prng, testKeys, useTestIndex } from './helpers/fixtures.js';

const rnd = prng(11);
const pools = makePools(rnd, { numbers: 200, agents: 10, cases: 20 });

function rawContains(dir: string, needle: string): boolean {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).some(
    (e) => e.isFile() && readFileSync(join(e.parentPath, e.name)).includes(needle),
  );
}

describe('index/recording-index', function () {
  this.timeout(20_000);
  const t = useTestIndex();

  it('stores and returns a recording with its number normalised and times in UTC', async () => {
    t.index = await openIndex(indexOptions(t.dir));
    const rec = makeRecord(rnd, pools, 1, {
      number: '0046 70-111 22 33',
      startedAt: '2024-05-01T12:00:00+02:00',
    });
    const stored = await t.index.putRecording(rec);
    assert.equal(stored.number, '+46701112233');
    assert.equal(stored.startedAt, '2024-05-01T10:00:00.000Z');
    assert.deepEqual(await t.index.getRecording(rec.id), stored);
    assert.equal(await t.index.getRecording('no-such-id'), null);
    assert.equal(await t.index.getRecording('../etc/passwd'), null);
    assert.deepEqual(await t.index.listIds(), [rec.id]);
  });

  it('replaces a recording and removes its stale secondary entries', async () => {
    t.index = await openIndex(indexOptions(t.dir));
    const rec = makeRecord(rnd, pools, 2, {
      agent: '2001',
      number: '+46701111111',
      service: 'rent',
      caseId: 'C-1',
    });
    await t.index.putRecording(rec);
    await t.index.putRecording({
      ...rec,
      agent: '2002',
      number: '+46702222222',
      service: 'sales',
      caseId: null,
      startedAt: '2024-06-01T00:00:00.000Z',
    });
    assert.equal((await t.index.search({ agent: '2001' })).items.length, 0);
    assert.equal((await t.index.search({ number: '+46701111111' })).items.length, 0);
    assert.equal((await t.index.search({ service: 'rent' })).items.length, 0);
    assert.equal((await t.index.search({ caseId: 'C-1' })).items.length, 0);
    assert.equal((await t.index.search({ agent: '2002', service: 'sales' })).items.length, 1);
    const report = await t.index.checkConsistency();
    assert.deepEqual([report.dangling, report.incomplete], [[], []]);
    assert.equal(report.records, 1);
  });

  it('putRecordings replaces stored records and in-batch repeats of an id: the last wins, no stale entry', async () => {
    t.index = await openIndex(indexOptions(t.dir));
    const a = makeRecord(rnd, pools, 20, { agent: '2001', number: '+46701111111', caseId: 'C-1' });
    const b = makeRecord(rnd, pools, 21, { agent: '2001' });
    await t.index.putRecordings([a, b]);
    const n = await t.index.putRecordings([
      { ...a, agent: '2002', caseId: null },
      b,
      { ...a, agent: '2003', number: '+46703333333', caseId: 'C-3', startedAt: '2024-07-01T00:00:00.000Z' },
    ]);
    assert.equal(n, 3);
    assert.deepEqual(
      (await t.index.search({ agent: '2001' })).items.map((r) => r.id),
      [b.id],
    );
    assert.equal((await t.index.search({ agent: '2002' })).items.length, 0);
    assert.equal((await t.index.search({ number: '+46701111111' })).items.length, 0);
    assert.equal((await t.index.search({ caseId: 'C-1' })).items.length, 0);
    const got = await t.index.getRecording(a.id);
    assert.equal(got?.agent, '2003');
    assert.equal(got?.startedAt, '2024-07-01T00:00:00.000Z');
    assert.equal((await t.index.search({ caseId: 'C-3', number: '+46703333333' })).items.length, 1);
    const report = await t.index.checkConsistency();
    assert.deepEqual([report.dangling, report.incomplete, report.records], [[], [], 2]);
  });

  it('update and setFlags patch a recording; unknown ids are CV_ERR_INDEX_NOT_FOUND', async () => {
    t.index = await openIndex(indexOptions(t.dir));
    const rec = await t.index.putRecording(
      makeRecord(rnd, pools, 3, { expiresAt: '2024-02-01T00:00:00.000Z' }),
    );
    const held = await t.index.update(rec.id, { legalHold: true, expiresAt: null });
    assert.equal(held.legalHold, true);
    assert.equal((await t.index.search({ expiresBefore: '2030-01-01T00:00:00Z' })).items.length, 0);
    assert.deepEqual((await t.index.setFlags(rec.id, ['recovered'])).flags, ['recovered']);
    assert.equal((await t.index.getRecording(rec.id))?.legalHold, true);
    await assert.rejects(t.index.update('missing', { legalHold: true }), { code: 'CV_ERR_INDEX_NOT_FOUND' });
    await assert.rejects(t.index.update(rec.id, { durationMs: -1 }), { code: 'CV_ERR_INDEX_BAD_RECORD' });
  });

  it('rejects malformed records with CV_ERR_INDEX_BAD_RECORD naming the field', async () => {
    t.index = await openIndex(indexOptions(t.dir));
    const good = makeRecord(rnd, pools, 4);
    const cases: [Partial<Record<keyof RecordingRecord, unknown>>, string][] = [
      [{ id: 'a/b' }, 'id'],
      [{ number: 'anonymous' }, 'number'],
      [{ startedAt: 'yesterday' }, 'startedAt'],
      [{ direction: 'sideways' }, 'direction'],
      [{ consent: 'maybe' }, 'consent'],
      [{ flags: [1] }, 'flags'],
      [{ participants: [{ role: 'x' }] }, 'participants'],
      [{ legalHold: 'yes' }, 'legalHold'],
    ];
    for (const [patch, field] of cases) {
      await assert.rejects(
        t.index.putRecording({ ...good, ...patch } as RecordingRecord),
        (err: { code: string; context: { field: string } }) => {
          assert.equal(err.code, 'CV_ERR_INDEX_BAD_RECORD');
          assert.equal(err.context.field, field);
          return true;
        },
      );
    }
    assert.deepEqual(await t.index.listIds(), []);
  });

  it('erasure removes the record, every entry and the old bytes from the LevelDB files', async () => {
    const keys = testKeys();
    t.index = await openIndex(indexOptions(t.dir, keys));
    const victim = makeRecord(rnd, pools, 5, { number: '+46709998877', caseId: 'C-77' });
    const other = makeRecord(rnd, pools, 6);
    await t.index.putRecordings([victim, other]);
    // Uncompressed like the index itself: opening replays the log into a table, and a Snappy
    // table could hide the needle (a 4-byte repeat inside random base64) from the byte scan.
    const raw = new ClassicLevel<string, string>(join(t.dir, 'index'), { compression: false });
    await t.index.close();
    await raw.open();
    const sealed = (JSON.parse((await raw.get(`r!${victim.id}`)) as string) as { p: string }).p;
    await raw.close();
    t.index = await openIndex(indexOptions(t.dir, keys));
    assert.ok(rawContains(join(t.dir, 'index'), sealed), 'sealed fields are on disk before erasure');
    assert.equal(await t.index.deleteRecording(victim.id), true);
    assert.equal(await t.index.deleteRecording(victim.id), false);
    assert.equal(await t.index.getRecording(victim.id), null);
    assert.equal(await t.index.count({ number: '+46709998877' }), 0);
    assert.ok(!rawContains(join(t.dir, 'index'), sealed), 'sealed fields compacted out of the files');
    const dbDir = join(t.dir, 'index');
    const dataFiles = readdirSync(dbDir).filter((f) => /\.(ldb|log)$/.test(f));
    assert.ok(
      dataFiles.every((f) => !readFileSync(join(dbDir, f)).includes(victim.id)),
      'no key of it in tables or log',
    );
    assert.ok(
      !rawContains(join(dbDir, 'LOG'), victim.id),
      'LevelDB info log is off (it would log compaction keys)',
    );
    assert.ok((await t.index.getRecording(other.id)) !== null);
    const report = await t.index.checkConsistency();
    assert.deepEqual([report.dangling, report.incomplete, report.records], [[], [], 1]);
  });

  it('checkConsistency finds and repairs dangling and missing entries', async () => {
    const keys = testKeys();
    t.index = await openIndex(indexOptions(t.dir, keys));
    const rec = await t.index.putRecording(makeRecord(rnd, pools, 7, { agent: '2003' }));
    await t.index.close();
    const raw = new ClassicLevel<string, string>(join(t.dir, 'index'));
    await raw.open();
    const agentKey = (await raw.keys({ gte: 'a!', lt: 'a!~' }).all())[0] as string;
    await raw.batch([
      { type: 'del', key: agentKey },
      { type: 'put', key: 't!000000000001!ghost', value: '' },
    ]);
    await raw.close();
    t.index = await openIndex(indexOptions(t.dir, keys));
    const found = await t.index.checkConsistency();
    assert.deepEqual(found.incomplete, [rec.id]);
    assert.deepEqual(found.dangling, ['t!000000000001!ghost']);
    assert.equal(found.repaired, false);
    assert.equal((await t.index.checkConsistency({ repair: true })).repaired, true);
    const after = await t.index.checkConsistency();
    assert.deepEqual([after.dangling, after.incomplete], [[], []]);
    assert.equal((await t.index.search({ agent: '2003' })).items.length, 1);
  });

  it('close is idempotent and every call after it fails with CV_ERR_INDEX_CLOSED', async () => {
    const idx = await openIndex(indexOptions(t.dir));
    const pending = idx.putRecording(makeRecord(rnd, pools, 8));
    const [a, b] = [idx.close(), idx.close()];
    await Promise.all([a, b, pending]);
    await idx.close();
    const closed = { code: 'CV_ERR_INDEX_CLOSED' };
    await assert.rejects(idx.getRecording('x'), closed);
    await assert.rejects(idx.putRecording(makeRecord(rnd, pools, 9)), closed);
    await assert.rejects(idx.search({}), closed);
    await assert.rejects(idx.appendAudit({ actor: 'a', role: 'admin', action: 'login' }), closed);
    await assert.rejects(idx.listUsers(), closed);
    t.index = await openIndex(indexOptions(t.dir));
    assert.equal((await t.index.listIds()).length, 1, 'the write queued before close landed');
  });

  it('refuses keys that are not 32 bytes with CV_ERR_INDEX_BAD_KEY', async () => {
    await assert.rejects(openIndex({ ...indexOptions(t.dir), fieldKey: Buffer.alloc(16) }), {
      code: 'CV_ERR_INDEX_BAD_KEY',
    });
    await assert.rejects(openIndex({ ...indexOptions(t.dir), blindIndexKey: Buffer.alloc(31) }), {
      code: 'CV_ERR_INDEX_BAD_KEY',
    });
  });

  it('a second process cannot open a held index: CV_ERR_INDEX_LOCKED', async () => {
    t.index = await openIndex(indexOptions(t.dir));
    await assert.rejects(openIndex(indexOptions(t.dir)), { code: 'CV_ERR_INDEX_LOCKED' });
  });

  it('fails reads of a record sealed under another field key with CV_ERR_INDEX_DECRYPT', async () => {
    const keys = testKeys();
    t.index = await openIndex(indexOptions(t.dir, keys));
    const rec = await t.index.putRecording(makeRecord(rnd, pools, 10));
    await t.index.close();
    t.index = await openIndex(indexOptions(t.dir, { ...keys, fieldKey: Buffer.alloc(32, 7) }));
    await assert.rejects(t.index.getRecording(rec.id), { code: 'CV_ERR_INDEX_DECRYPT' });
  });

  it('kill -9 during batched writes leaves no half-written recording', async function () {
    this.timeout(30_000);
    const keys = testKeys();
    const opts = indexOptions(t.dir, keys);
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(import.meta.dirname, 'helpers', 'kill-writer.ts'),
        opts.dir,
        keys.blindIndexKey.toString('hex'),
        keys.fieldKey.toString('hex'),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    const exited = once(child, 'exit');
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`child too slow: ${out}`)), 25_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('batch 5\n')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('exit', () => reject(new Error(`child exited: ${out}`)));
    });
    child.kill('SIGKILL');
    const [, signal] = await exited;
    assert.equal(signal, 'SIGKILL');
    t.index = await openIndex(opts);
    const report = await t.index.checkConsistency();
    assert.deepEqual(report.dangling, []);
    assert.deepEqual(report.incomplete, []);
    // Batches are all-or-nothing: 200 new records each, rewrites never add records.
    assert.equal(report.records % 200, 0);
    assert.ok(report.records >= 1200, `${report.records} records`);
    for (const id of (await t.index.listIds()).slice(0, 50))
      assert.ok((await t.index.getRecording(id)) !== null);
  });
});
