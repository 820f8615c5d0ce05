import assert from 'node:assert/strict';
import { Semaphore } from '../../../agent/src/common/semaphore.js';

/** A promise with its resolve, to finish jobs in an order the test chooses. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

describe('common/semaphore', () => {
  it('runs at most `limit` jobs at once, the others in arrival order, and frees places on failure', async () => {
    const sem = new Semaphore(2);
    const gates = Array.from({ length: 5 }, gate);
    const started: number[] = [];
    let running = 0;
    let maxRunning = 0;
    const jobs = gates.map((g, i) =>
      sem.run(async () => {
        started.push(i);
        running++;
        maxRunning = Math.max(maxRunning, running);
        await g.promise;
        running--;
        if (i === 1) throw new Error('job 1 fails');
        return i;
      }),
    );
    await Promise.resolve();
    assert.deepEqual(started, [0, 1]);
    assert.equal(sem.waiting, 3);
    gates[1]!.open(); // a failing job gives its place to the next in line
    await assert.rejects(jobs[1]!, /job 1 fails/);
    assert.deepEqual(started, [0, 1, 2]);
    for (const i of [0, 2, 3, 4]) gates[i]!.open();
    assert.deepEqual(await Promise.all([jobs[0], jobs[2], jobs[3], jobs[4]]), [0, 2, 3, 4]);
    assert.deepEqual(started, [0, 1, 2, 3, 4]);
    assert.equal(maxRunning, 2);
    assert.equal(sem.held, 0);
    assert.equal(sem.waiting, 0);
  });

  it('refuses a limit below 1', () => {
    assert.throws(() => new Semaphore(0), RangeError);
  });
});
