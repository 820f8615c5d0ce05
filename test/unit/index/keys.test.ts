/** keys.ts: time keys and the canonical ISO fast path of the write path. */
import assert from 'node:assert/strict';
import { canonicalIsoMs, parseIsoMs, timeHex } from '../../../agent/src/index/keys.js';

describe('index/keys', () => {
  it('timeHex is 12 zero-padded hex digits that sort as the time', () => {
    const cases = [0, 1, 2 ** 24 - 1, 2 ** 24, 1_717_236_000_000, 16 ** 12 - 1];
    for (const ms of cases) assert.equal(timeHex(ms), ms.toString(16).padStart(12, '0'));
    for (let i = 0; i < 2000; i++) {
      const a = Math.floor(Math.random() * 16 ** 12);
      const b = Math.floor(Math.random() * 16 ** 12);
      assert.equal(timeHex(a) < timeHex(b), a < b);
    }
  });

  it('canonicalIsoMs accepts exactly what toISOString gives back unchanged', () => {
    for (let i = 0; i < 2000; i++) {
      const ms = Math.floor(Math.random() * 4e12);
      assert.equal(canonicalIsoMs(new Date(ms).toISOString()), ms);
    }
    assert.equal(canonicalIsoMs('2024-02-29T23:59:59.999Z'), Date.parse('2024-02-29T23:59:59.999Z'));
    assert.equal(canonicalIsoMs('2000-02-29T00:00:00.000Z'), Date.parse('2000-02-29T00:00:00.000Z'));
  });

  it('canonicalIsoMs refuses what Date.parse would roll over or is not in canonical form', () => {
    for (const s of [
      '2025-02-29T00:00:00.000Z',
      '1900-02-29T00:00:00.000Z',
      '2025-04-31T10:00:00.000Z',
      '2025-01-01T24:00:00.000Z',
      '2025-01-00T00:00:00.000Z',
      '2025-13-01T00:00:00.000Z',
      '2025-01-01T00:60:00.000Z',
      '2025-01-01T10:00:00Z',
      '2025-01-01T10:00:00.000+01:00',
      '2025-01-01',
    ]) {
      assert.equal(canonicalIsoMs(s), null, s);
    }
    // The general parser still takes the non-canonical forms; the write path normalises them.
    assert.equal(parseIsoMs('2025-01-01T10:00:00Z'), Date.parse('2025-01-01T10:00:00.000Z'));
  });
});
