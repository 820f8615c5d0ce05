import assert from 'node:assert/strict';
import { addClipped, interleaveInto } from '../../../agent/src/recorder/mixdown.js';

describe('recorder/mixdown', () => {
  it('interleaves left/right at an offset and pads the shorter side with silence', () => {
    const dst = new Int16Array(10).fill(99);
    interleaveInto(dst, 2, Int16Array.from([1, 2, 3]), 3, Int16Array.from([-1, 7]), 1, 0, 3);
    assert.deepEqual([...dst], [99, 99, 1, -1, 2, 0, 3, 0, 99, 99]);
  });

  it('starts at a source offset (a read split across two segments)', () => {
    const dst = new Int16Array(4);
    interleaveInto(dst, 0, Int16Array.from([1, 2, 3, 4]), 4, Int16Array.from([5, 6, 7, 8]), 4, 2, 2);
    assert.deepEqual([...dst], [3, 7, 4, 8]);
  });

  it('keeps extreme sample values exactly', () => {
    const left = Int16Array.from({ length: 997 }, (_, i) => ((i * 7919) % 65536) - 32768);
    const right = Int16Array.from({ length: 990 }, (_, i) => 32767 - ((i * 104729) % 65536));
    const dst = new Int16Array(2000);
    interleaveInto(dst, 0, left, 997, right, 990, 0, 1000);
    for (let i = 0; i < 1000; i++) {
      assert.equal(dst[2 * i], i < 997 ? left[i] : 0);
      assert.equal(dst[2 * i + 1], i < 990 ? right[i] : 0);
    }
  });

  it('sums streams of one side with clipping, only the first n samples', () => {
    const dst = Int16Array.from([30000, -30000, 5, 1]);
    addClipped(dst, Int16Array.from([10000, -10000, 2, 2]), 3);
    assert.deepEqual([...dst], [32767, -32768, 7, 1]);
  });
});
