import assert from 'node:assert/strict';
import { interleaveStereo, mixInto, monoBytes } from '../../../agent/src/recorder/mixdown.js';

describe('recorder/mixdown', () => {
  it('interleaves left/right and pads the shorter side with silence', () => {
    const out = interleaveStereo(Int16Array.from([1, 2, 3]), Int16Array.from([-1]), 3);
    assert.deepEqual([...new Int16Array(out.buffer, out.byteOffset, 6)], [1, -1, 2, 0, 3, 0]);
  });

  it('sums streams of one side with clipping', () => {
    const out = mixInto([Int16Array.from([30000, -30000, 5]), Int16Array.from([10000, -10000])]);
    assert.deepEqual([...out], [32767, -32768, 5]);
  });

  it('writes mono little-endian', () => {
    const out = monoBytes(Int16Array.from([256, -2]), 3);
    assert.deepEqual([...out], [0, 1, 0xfe, 0xff, 0, 0]);
  });
});
