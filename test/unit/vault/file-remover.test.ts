import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeFileGroups } from '../../../agent/src/vault/file-remover.js';

describe('vault/file-remover', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cv-remover-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const file = (name: string): string => {
    const p = join(dir, name);
    writeFileSync(p, 'x');
    return p;
  };

  it('removes every path of every group; a missing file is not a failure', async () => {
    const groups = Array.from({ length: 100 }, (_, g) => [file(`s${g}`), file(`c${g}`)]);
    groups[7]!.push(join(dir, 'never-there'));
    const failed = await removeFileGroups(groups, 4);
    assert.deepEqual(failed, []);
    assert.equal(
      groups.flat().filter((p) => existsSync(p)).length,
      0,
      'nothing left',
    );
  });

  it('a failure ends its group (what follows stays) and the other groups go on', async () => {
    const blocker = join(dir, 'a-directory');
    mkdirSync(blocker);
    const bad = [file('seal-bad'), blocker, file('after-bad')];
    const good = [file('seal-good'), file('container-good')];
    const failed = await removeFileGroups([good, bad, [file('third')]], 2);
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.group, 1);
    assert.equal(failed[0]!.index, 1);
    assert.ok(['EISDIR', 'EPERM'].includes(failed[0]!.error.code ?? ''), failed[0]!.error.code);
    assert.equal(existsSync(bad[0]!), false, 'the path before the failure is removed');
    assert.equal(existsSync(bad[2]!), true, 'the path after the failure stays');
    assert.equal(existsSync(good[1]!), false, 'another group goes on');
    assert.equal(existsSync(join(dir, 'third')), false);
  });

  it('reports failures in group order whatever lane met them', async () => {
    const groups = Array.from({ length: 20 }, (_, g) => {
      const d = join(dir, `d${g}`);
      mkdirSync(d);
      return g % 3 === 0 ? [d] : [file(`f${g}`)];
    });
    const failed = await removeFileGroups(groups, 5);
    assert.deepEqual(
      failed.map((f) => f.group),
      [0, 3, 6, 9, 12, 15, 18],
    );
  });
});
