import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ALAW_DECODE,
  ULAW_DECODE,
  decodeAlaw,
  decodeUlaw,
  encodeAlaw,
  encodeUlaw,
} from '../../../agent/src/media/index.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const readS16 = (name: string): Int16Array => {
  const b = readFileSync(join(fixtures, name));
  return new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
};

/** Every 16-bit value, for round-trip bounds. */
const ALL = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);

describe('media/g711', () => {
  it('decodes known code words from the G.711 tables', function () {
    this.timeout(2000);
    // µ-law: 0xFF and 0x7F are the two zeros, 0x80/0x00 the extremes (±8031 ×4 = ±32124).
    assert.equal(ULAW_DECODE[0xff], 0);
    assert.equal(ULAW_DECODE[0x7f], 0);
    assert.equal(ULAW_DECODE[0x80], 32124);
    assert.equal(ULAW_DECODE[0x00], -32124);
    assert.equal(ULAW_DECODE[0xfe], 8); // segment 0, first step (2 in the 14-bit table, ×4)
    assert.equal(ULAW_DECODE[0xef], 132); // segment 1 starts at 33 ×4
    // A-law: 0xD5/0x55 are ±8 (the smallest level), 0xAA/0x2A the extremes (±4032 ×8).
    assert.equal(ALAW_DECODE[0xd5], 8);
    assert.equal(ALAW_DECODE[0x55], -8);
    assert.equal(ALAW_DECODE[0xaa], 32256);
    assert.equal(ALAW_DECODE[0x2a], -32256);
  });

  it('matches ffmpeg’s decode of all 256 code words (fixture)', function () {
    this.timeout(2000);
    assert.deepEqual([...ULAW_DECODE], [...readS16('ulaw-all-codes.ffmpeg.s16le')]);
    assert.deepEqual([...ALAW_DECODE], [...readS16('alaw-all-codes.ffmpeg.s16le')]);
  });

  it('µ-law round trip stays within half a quantisation step', function () {
    this.timeout(5000);
    const back = new Int16Array(ALL.length);
    decodeUlaw(encodeUlaw(ALL), 0, ALL.length, back, 0);
    for (let i = 0; i < ALL.length; i++) {
      const x = Math.max(-32124, Math.min(32124, ALL[i]!));
      // Segment steps double from 8 (|x| < 256) up to 1024: the error bound grows with |x|.
      const bound = Math.max(8, Math.abs(x) / 16 + 4);
      assert.ok(Math.abs(back[i]! - x) <= bound, `x=${x} → ${back[i]}`);
    }
  });

  it('A-law round trip stays within half a quantisation step', function () {
    this.timeout(5000);
    const back = new Int16Array(ALL.length);
    decodeAlaw(encodeAlaw(ALL), 0, ALL.length, back, 0);
    for (let i = 0; i < ALL.length; i++) {
      const x = Math.max(-32256, Math.min(32256, ALL[i]!));
      const bound = Math.max(8, Math.abs(x) / 32 + 8);
      assert.ok(Math.abs(back[i]! - x) <= bound, `x=${x} → ${back[i]}`);
    }
  });

  it('encode∘decode is the identity on code words', function () {
    this.timeout(2000);
    const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const u = new Int16Array(256);
    decodeUlaw(codes, 0, 256, u, 0);
    const reU = encodeUlaw(u);
    const a = new Int16Array(256);
    decodeAlaw(codes, 0, 256, a, 0);
    assert.deepEqual([...encodeAlaw(a)], [...codes]);
    // µ-law has two zeros (0x7F, 0xFF); both re-encode to 0xFF.
    for (let i = 0; i < 256; i++) assert.equal(reU[i], i === 0x7f ? 0xff : i);
  });
});
