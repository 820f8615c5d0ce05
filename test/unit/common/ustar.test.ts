/** ustar.ts: the DSAR archive's writer and the follower the CLI's progress reads it with. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BLOCK_BYTES,
  TarFollower,
  tarEnd,
  tarHeader,
  tarPadding,
  type TarEntryEvent,
} from '../../../agent/src/common/index.js';

const MTIME = new Date('2026-12-04T12:00:00Z');

function archive(files: readonly [string, Buffer][]): Buffer {
  const parts: Buffer[] = [];
  for (const [path, data] of files)
    parts.push(tarHeader(path, data.length, MTIME), data, tarPadding(data.length));
  parts.push(tarEnd());
  return Buffer.concat(parts);
}

describe('common/ustar', function () {
  this.timeout(5000);
  const files: [string, Buffer][] = [
    ['manifest.json', Buffer.from('{"a":1}\n')],
    ['audio/empty.wav', Buffer.alloc(0)],
    ['audio/block.wav', Buffer.alloc(BLOCK_BYTES, 7)],
    [`audio/${'x'.repeat(96)}.wav`, Buffer.from('name of 100 bytes: the prefix holds the folder')],
  ];

  it('writes block-aligned entries with a valid checksum and an end marker', () => {
    const a = archive(files);
    assert.equal(a.length % BLOCK_BYTES, 0);
    const h = a.subarray(0, BLOCK_BYTES);
    assert.equal(h.toString('utf8', 257, 262), 'ustar');
    let sum = 0;
    for (let i = 0; i < BLOCK_BYTES; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
    assert.equal(parseInt(h.toString('utf8', 148, 154), 8), sum);
    assert.ok(a.subarray(a.length - 2 * BLOCK_BYTES).every((b) => b === 0));
  });

  it('is read back by the follower, whatever the chunking, and by tar(1) when present', () => {
    const a = archive(files);
    for (const step of [1, 7, 512, 4096, a.length]) {
      const seen: TarEntryEvent[] = [];
      const data = new Map<string, Buffer[]>();
      const f = new TarFollower({
        onEntry: (e) => {
          seen.push(e);
          data.set(e.path, []);
        },
        wantData: () => true,
        onData: (e, c) => data.get(e.path)!.push(Buffer.from(c)),
      });
      for (let i = 0; i < a.length; i += step) f.push(a.subarray(i, i + step));
      assert.deepEqual(
        seen.map((e) => [e.path, e.size]),
        files.map(([p, d]) => [p, d.length]),
        `step ${step}`,
      );
      for (const [p, d] of files) assert.ok(Buffer.concat(data.get(p)!).equals(d), `${p} step ${step}`);
    }
    const dir = mkdtempSync(join(tmpdir(), 'cv-ustar-'));
    try {
      writeFileSync(join(dir, 'a.tar'), a);
      const r = spawnSync('tar', ['-xf', 'a.tar'], { cwd: dir, encoding: 'utf8' });
      if (r.error !== undefined) return; // no tar(1) here
      assert.equal(r.status, 0, r.stderr);
      for (const [p, d] of files) assert.ok(readFileSync(join(dir, p)).equals(d), p);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses paths and sizes ustar cannot hold', () => {
    assert.throws(() => tarHeader('x'.repeat(101), 0, MTIME), RangeError);
    assert.throws(() => tarHeader(`audio/${'x'.repeat(97)}.wav`, 0, MTIME), RangeError);
    assert.throws(() => tarHeader('manifest.json', -1, MTIME), RangeError);
    assert.throws(() => tarHeader('manifest.json', 8 ** 11, MTIME), RangeError);
  });
});
