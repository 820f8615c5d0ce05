import assert from 'node:assert/strict';
import { TickScheduler, sharedTickScheduler, type Tickable } from '../../../agent/src/recorder/tick-scheduler.js';

function until(cond: () => boolean, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      if (cond()) {
        clearInterval(poll);
        resolve();
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(poll);
        reject(new Error('condition not met in time'));
      }
    }, 2);
  });
}

describe('recorder/tick-scheduler', () => {
  it('ticks every task on one timer; a task may leave during the walk without disturbing the others', async () => {
    const s = new TickScheduler(5);
    const counts = [0, 0, 0];
    const tasks: Tickable[] = counts.map((_, i) => ({
      tick: () => {
        counts[i]!++;
        // The middle task leaves on its third tick, from inside the walk.
        if (i === 1 && counts[1] === 3) s.delete(tasks[1]!);
      },
    }));
    for (const t of tasks) s.add(t);
    await until(() => counts[0]! >= 8, 2000);
    assert.equal(counts[1], 3);
    // Every remaining task saw every tick.
    assert.ok(Math.abs(counts[0]! - counts[2]!) <= 1, `${counts[0]} vs ${counts[2]}`);
    s.delete(tasks[0]!);
    s.delete(tasks[2]!);
    assert.equal(s.size, 0);
    const frozen = [...counts];
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(counts, frozen, 'no ticks once the scheduler is empty');
  });

  it('one shared scheduler per interval; bad intervals are refused', () => {
    assert.equal(sharedTickScheduler(100), sharedTickScheduler(100));
    assert.notEqual(sharedTickScheduler(100), sharedTickScheduler(50));
    assert.throws(() => new TickScheduler(0), RangeError);
    assert.throws(() => new TickScheduler(2.5), RangeError);
  });
});
