/** leveldb-files.ts: the write-ahead log check and the directory inspection before open. */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { checkLogFile, crc32c, inspectLevelDir } from '../../../agent/src/common/leveldb-files.js';

describe('common/leveldb-files', function () {
  this.timeout(20_000);
  let dir: string;
  let log: Buffer;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cv-ldb-'));
    const db = new ClassicLevel<string, string>(dir, { valueEncoding: 'utf8', compression: false });
    await db.open();
    // Values of 40 KB span blocks: FIRST/MIDDLE/LAST fragments, not only FULL records.
    for (let i = 0; i < 20; i++)
      await db.put(`k${i}`, 'v'.repeat(i % 2 === 0 ? 100 : 40_000), { sync: true });
    await db.close();
    const name = readdirSync(dir).find((f) => f.endsWith('.log')) as string;
    log = readFileSync(join(dir, name));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('computes CRC-32C (the RFC 3720 check value)', () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  });

  it('accepts a sound log, a torn tail and a zero-filled tail', () => {
    assert.equal(checkLogFile(log), null);
    assert.equal(checkLogFile(log.subarray(0, log.length - 5)), null, 'a record cut short at the end');
    assert.equal(checkLogFile(log.subarray(0, 3)), null, 'a header cut short');
    assert.equal(checkLogFile(Buffer.concat([log, Buffer.alloc(4096)])), null, 'zeros after the last record');
  });

  it('reports a flipped byte before the tail, and one inside a whole last record', () => {
    const mid = Buffer.from(log);
    mid[20] = (mid[20] as number) ^ 1;
    assert.match(checkLogFile(mid) ?? '', /checksum mismatch at offset 0/);
    const last = Buffer.from(log);
    last[last.length - 40] = (last[last.length - 40] as number) ^ 1;
    assert.match(checkLogFile(last) ?? '', /checksum mismatch/);
  });

  it('inspectLevelDir: fresh, existing, and a deleted log is damage naming the file', async () => {
    assert.deepEqual(await inspectLevelDir(join(dir, 'none')), { state: 'fresh' });
    assert.deepEqual(await inspectLevelDir(dir), { state: 'existing' });
    const name = readdirSync(dir).find((f) => f.endsWith('.log')) as string;
    rmSync(join(dir, name));
    const found = await inspectLevelDir(dir);
    assert.equal(found.state, 'damaged');
    assert.equal((found as { file?: string }).file, name);
  });
});
