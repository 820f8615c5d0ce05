import assert from 'node:assert/strict';
import { json, table } from '../../../agent/src/cli/output.js';

describe('cli/output', () => {
  it('keeps one row per entry whatever the cells hold', () => {
    const forged = 'ok\n9999  2026-01-01T00:00:00.000Z  os:root(uid=0,pid=1)  admin  export';
    const out = table([
      ['SEQ', 'REASON'],
      ['1', forged],
      ['2', 'tab\there\rcr\x1b[31mred\0nul'],
    ]);
    const lines = out.split('\n');
    assert.equal(lines.length, 3);
    assert.ok(lines[1]!.includes('ok\\x0a9999'), lines[1]);
    assert.ok(lines[2]!.includes('tab\\x09here\\x0dcr\\x1b[31mred\\x00nul'), lines[2]);
    // eslint-disable-next-line no-control-regex -- control characters are what this looks for
    assert.doesNotMatch(out, /[\r\0\x1b\t]/);
  });

  it('aligns columns on the escaped width', () => {
    const out = table([
      ['A', 'B'],
      ['x\ny', 'z'],
    ]);
    assert.deepEqual(out.split('\n'), ['A       B', 'x\\x0ay  z']);
  });

  it('prints JSON with control characters escaped', () => {
    const text = json([{ reason: 'a\u0085b\u2029' }]);
    assert.ok(text.includes('a\\u0085b\\u2029'), text);
    assert.deepEqual(JSON.parse(text), [{ reason: 'a\u0085b\u2029' }]);
  });
});
