import assert from 'node:assert/strict';
import { placeSamples, resampleInto } from '../../../agent/src/media/pcm.js';
import { tone, zeroCrossingHz } from './tone.js';

describe('media/pcm', () => {
  it('doubles and halves the rate while keeping a tone’s frequency', function () {
    this.timeout(2000);
    const src = tone(440, 8000, 8000);
    const up = new Int16Array(16000);
    assert.equal(resampleInto(src, 8000, 8000, 16000, up), 16000);
    assert.ok(Math.abs(zeroCrossingHz(up, 16000) - 440) < 3);
    const down = new Int16Array(8000);
    assert.equal(resampleInto(up, 16000, 16000, 8000, down), 8000);
    assert.ok(Math.abs(zeroCrossingHz(down, 8000) - 440) < 3);
  });

  it('places samples across the end of the output into the carry, zero-filling gaps', function () {
    this.timeout(2000);
    const out = new Int16Array(4);
    const carry = new Int16Array(8).fill(99);
    const src = Int16Array.from([1, 2, 3, 4, 5]);
    assert.equal(placeSamples(src, 5, 2, out, carry, 0), 3);
    assert.deepEqual([...out], [0, 0, 1, 2]);
    assert.deepEqual([...carry.subarray(0, 3)], [3, 4, 5]);
    assert.equal(placeSamples(Int16Array.from([7]), 1, 9, out, carry, 3), 6);
    assert.deepEqual([...carry.subarray(0, 6)], [3, 4, 5, 0, 0, 7]);
    assert.equal(placeSamples(Int16Array.from([8, 9]), 2, -1, out, carry, 6), 6);
    assert.equal(out[0], 9);
  });
});
