import assert from 'node:assert/strict';
import { estimateMos } from '../../../agent/src/media/index.js';
import {
  classifySeq,
  createJitterState,
  createSeqState,
  expectedPackets,
  lostPackets,
  updateJitter,
  type SeqResult,
} from '../../../agent/src/media/stats.js';

describe('media/stats', () => {
  it('extends sequence numbers across the 16-bit wrap and counts loss (RFC 3550 A.3)', function () {
    this.timeout(2000);
    const st = createSeqState();
    const r: SeqResult = { verdict: 'first', ext: 0 };
    const exts: number[] = [];
    for (const seq of [65530, 65531, 65533, 65535, 0, 2, 1, 3]) {
      classifySeq(st, seq, r);
      exts.push(r.ext);
      st.received++;
    }
    assert.deepEqual(exts, [65530, 65531, 65533, 65535, 65536, 65538, 65537, 65539]);
    assert.equal(expectedPackets(st), 10);
    assert.equal(lostPackets(st), 2);
  });

  it('accepts a big jump only once the next packet confirms it (A.1 probation)', function () {
    this.timeout(2000);
    const st = createSeqState();
    const r: SeqResult = { verdict: 'first', ext: 0 };
    classifySeq(st, 100, r);
    assert.equal(classifySeq(st, 30000, r).verdict, 'jump');
    assert.equal(classifySeq(st, 101, r).verdict, 'newest');
    assert.equal(classifySeq(st, 40000, r).verdict, 'jump');
    assert.equal(classifySeq(st, 40001, r).verdict, 'restart');
    assert.equal(classifySeq(st, 95, r).verdict, 'older');
  });

  it('computes interarrival jitter (A.8): zero when paced, ~|D|/16 steps when not', function () {
    this.timeout(2000);
    const paced = createJitterState();
    for (let k = 0; k < 100; k++)
      updateJitter(paced, 1000 + k * 20, (4294967000 + k * 160) % 4294967296, 8000);
    assert.ok(paced.jitter < 1e-6, `paced jitter ${paced.jitter}`);
    const bumpy = createJitterState();
    for (let k = 0; k < 2000; k++) updateJitter(bumpy, k * 20 + (k % 2) * 5, k * 160, 8000);
    // |D| is 40 units (5 ms) on every packet, so J converges to 40.
    assert.ok(Math.abs(bumpy.jitter - 40) < 0.5, `jitter ${bumpy.jitter}`);
  });

  it('estimates MOS with the E-model: ~4.4 clean, falling with loss and delay', function () {
    this.timeout(2000);
    const clean = estimateMos({ ie: 0, bpl: 4.3, lossRatio: 0, oneWayDelayMs: 80 });
    assert.ok(clean.rFactor > 90 && clean.mos > 4.3, JSON.stringify(clean));
    const lossy = estimateMos({ ie: 0, bpl: 4.3, lossRatio: 0.05, oneWayDelayMs: 80 });
    assert.ok(lossy.mos < 3 && lossy.mos > 1, JSON.stringify(lossy));
    const late = estimateMos({ ie: 0, bpl: 4.3, lossRatio: 0, oneWayDelayMs: 400 });
    assert.ok(late.mos < clean.mos && late.rFactor < 70, JSON.stringify(late));
    assert.equal(estimateMos({ ie: 0, bpl: 4.3, lossRatio: 1, oneWayDelayMs: 0 }).mos, 1);
  });
});
