/** storage.ts + manifest.ts: pre-open checks for damaged LevelDB files, destroy, repair. */
import assert from 'node:assert/strict';
import {
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { IntegrityError } from '../../../agent/src/common/index.js';
import { destroyIndex, openIndex } from '../../../agent/src/index/index.js';
import type { IndexOptions } from '../../../agent/src/index/index.js';
import { liveTables } from '../../../agent/src/common/leveldb-files.js';
import { makePools, makeRecord, prng, useTestIndex } from './helpers/fixtures.js';

const rnd = prng(5);
const pools = makePools(rnd, { numbers: 100, agents: 5, cases: 5 });

/** An index with its data in table files (reopening converts the log into a table). */
async function populated(opts: IndexOptions): Promise<string[]> {
  let idx = await openIndex(opts);
  await idx.putRecordings(Array.from({ length: 2000 }, (_, i) => makeRecord(rnd, pools, i)));
  await idx.close();
  idx = await openIndex(opts);
  await idx.close();
  const tables = readdirSync(opts.dir).filter((f) => f.endsWith('.ldb'));
  assert.ok(tables.length > 0);
  return tables;
}

async function assertCorrupt(opts: IndexOptions): Promise<void> {
  await assert.rejects(openIndex(opts), (err: Error & { code: string }) => {
    assert.equal(err.code, 'CV_ERR_INDEX_CORRUPT');
    assert.ok(err instanceof IntegrityError);
    assert.ok(err.message.includes('callvaultctl index rebuild'), 'the message names the fix');
    return true;
  });
}

describe('index/storage', function () {
  this.timeout(20_000);
  const ix = useTestIndex();

  it('reads the live tables and their sizes from the MANIFEST', async () => {
    const tables = await populated(ix.opts);
    const current = readFileSync(join(ix.opts.dir, 'CURRENT'), 'utf8').trim();
    const live = liveTables(readFileSync(join(ix.opts.dir, current)));
    assert.deepEqual([...live.keys()].map((n) => `${String(n).padStart(6, '0')}.ldb`).sort(), tables.sort());
    for (const [n, size] of live)
      assert.equal(statSync(join(ix.opts.dir, `${String(n).padStart(6, '0')}.ldb`)).size, size);
  });

  it('a truncated table file → CV_ERR_INDEX_CORRUPT naming `callvaultctl index rebuild`', async () => {
    const [table] = await populated(ix.opts);
    const path = join(ix.opts.dir, table as string);
    truncateSync(path, Math.floor(statSync(path).size / 2));
    await assertCorrupt(ix.opts);
  });

  it('a table with a damaged footer but the right size → CV_ERR_INDEX_CORRUPT', async () => {
    const [table] = await populated(ix.opts);
    const path = join(ix.opts.dir, table as string);
    const buf = readFileSync(path);
    buf[buf.length - 1] = 0;
    writeFileSync(path, buf);
    await assertCorrupt(ix.opts);
  });

  it('a bad MANIFEST → CV_ERR_INDEX_CORRUPT', async () => {
    await populated(ix.opts);
    const current = readFileSync(join(ix.opts.dir, 'CURRENT'), 'utf8').trim();
    writeFileSync(join(ix.opts.dir, current), Buffer.from('not a manifest at all, just some garbage bytes'));
    await assertCorrupt(ix.opts);
  });

  it('CURRENT missing → CV_ERR_INDEX_CORRUPT, and the tables are left in place', async () => {
    const tables = await populated(ix.opts);
    rmSync(join(ix.opts.dir, 'CURRENT'));
    await assertCorrupt(ix.opts);
    for (const t of tables) assert.ok(existsSync(join(ix.opts.dir, t)), `${t} kept for repair`);
  });

  it('CURRENT naming a missing MANIFEST, or a live table deleted → CV_ERR_INDEX_CORRUPT', async () => {
    const [table] = await populated(ix.opts);
    const current = readFileSync(join(ix.opts.dir, 'CURRENT'), 'utf8');
    writeFileSync(join(ix.opts.dir, 'CURRENT'), 'MANIFEST-999999\n');
    await assertCorrupt(ix.opts);
    writeFileSync(join(ix.opts.dir, 'CURRENT'), current);
    rmSync(join(ix.opts.dir, table as string));
    await assertCorrupt(ix.opts);
  });

  it('a half-written table that the MANIFEST does not list (kill -9 in a compaction) is no damage', async () => {
    await populated(ix.opts);
    writeFileSync(join(ix.opts.dir, '999990.ldb'), Buffer.alloc(1000, 7));
    const idx = await openIndex(ix.opts);
    assert.equal((await idx.listIds()).length, 2000);
    await idx.close();
  });

  it('destroyIndex removes the LevelDB files and keeps foreign ones', async () => {
    await populated(ix.opts);
    await destroyIndex(ix.opts.dir);
    assert.equal(existsSync(ix.opts.dir), false);
    await destroyIndex(ix.opts.dir);
    await populated(ix.opts);
    writeFileSync(join(ix.opts.dir, 'notes.txt'), 'keep me');
    await destroyIndex(ix.opts.dir);
    assert.deepEqual(readdirSync(ix.opts.dir), ['notes.txt']);
    const idx = await openIndex(ix.opts);
    assert.deepEqual(await idx.listIds(), []);
    await idx.close();
  });
});
