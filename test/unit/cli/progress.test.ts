import assert from 'node:assert/strict';
import { progressReporter } from '../../../agent/src/cli/progress.js';

describe('cli/progress', () => {
  function run(isTTY: boolean, forced: boolean, steps: number, msPerStep: number): string[] {
    const lines: string[] = [];
    let t = 0;
    const report = progressReporter('verify', { forced, isTTY, write: (s) => lines.push(s), now: () => t });
    for (let i = 0; i <= steps; i++) {
      report?.(i, steps);
      t += msPerStep;
    }
    return lines;
  }

  it('is silent when stderr is not a terminal and --progress was not given', () => {
    assert.deepEqual(run(false, false, 100, 10), []);
  });

  it('--progress: one line a second at most, and always the last (count of total)', () => {
    // 1000 items at 5 ms each: 5 s → the first, one per second after, and the final line.
    const lines = run(false, true, 1000, 5);
    assert.ok(lines.length <= 7, `${lines.length} lines`);
    assert.equal(lines[0], 'verify: 0/1000 (0%)\n');
    assert.equal(lines.at(-1), 'verify: 1000/1000 (100%)\n');
    assert.ok(lines.every((l) => /^verify: \d+\/1000 \(\d+%\)\n$/.test(l)));
  });

  it('on a terminal the line is rewritten in place and ends with a newline', () => {
    const lines = run(true, false, 10, 2000);
    assert.equal(lines.length, 11);
    assert.ok(lines.every((l) => l.startsWith('\r\x1b[K')));
    assert.ok(lines.at(-1)!.endsWith('10/10 (100%)\n'));
    assert.ok(!lines[0]!.endsWith('\n'));
  });
});
