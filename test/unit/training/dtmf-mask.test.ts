/** training/dtmf-mask.ts: digits detected before masking, none after; the rest of the audio kept. */
import assert from 'node:assert/strict';
import { detectDtmf } from '../../../agent/src/training/dtmf-detect.js';
import { MASK_MARGIN_S, maskDtmf } from '../../../agent/src/training/dtmf-mask.js';
import { dtmfPcm } from '../../helpers/dtmf.js';

describe('training/dtmf-mask', () => {
  it('silences every digit on every channel (keyed on the left, echoed faintly on the right)', () => {
    const rate = 8000;
    const { pcm: left } = dtmfPcm('4012888888881881', rate, { toneS: 0.06, gapS: 0.06 });
    const { pcm: right } = dtmfPcm('4012888888881881', rate, { toneS: 0.06, gapS: 0.06, amp: 0.03 });
    assert.equal(detectDtmf(left, rate).length, 16, 'before: 16 digits on the left');
    assert.equal(detectDtmf(right, rate).length, 16, 'before: 16 digits on the right');
    const { channels, spans } = maskDtmf([left, right], rate);
    for (const ch of channels) {
      assert.deepEqual(detectDtmf(ch, rate), [], 'after: none');
      assert.deepEqual(detectDtmf(ch, rate, { minBlocks: 1 }), [], 'after: not even one block');
    }
    assert.ok(spans.length >= 1);
    assert.equal(left[0], dtmfPcm('4', rate).pcm[0], 'the input is not changed');
    assert.notDeepEqual(channels[0], left);
  });

  it('keeps what is not a digit: the audio before the first span is unchanged, the margin is bounded', () => {
    const rate = 16000;
    const { pcm, at } = dtmfPcm('7', rate, { leadS: 0.5 });
    const { channels, spans } = maskDtmf([pcm], rate);
    assert.equal(spans.length, 1);
    const [a, b] = spans[0]!;
    const marginSamples = MASK_MARGIN_S * rate;
    assert.ok(a >= at[0]! - marginSamples - rate * 0.03 && a <= at[0]!, `starts just before the tone (${a})`);
    assert.ok(b - a < rate * (0.08 + 2 * MASK_MARGIN_S + 0.06), `short (${b - a} samples)`);
    assert.deepEqual(channels[0]!.subarray(0, a), pcm.subarray(0, a));
    assert.ok(channels[0]!.subarray(a, b).every((v) => v === 0));
    assert.deepEqual(channels[0]!.subarray(b), pcm.subarray(b));
  });

  it('leaves audio without digits as it was', () => {
    const { pcm } = dtmfPcm('', 8000, { noiseAmp: 0.2, leadS: 0.5 });
    const { channels, spans } = maskDtmf([pcm], 8000);
    assert.deepEqual(spans, []);
    assert.deepEqual(channels[0], pcm);
  });
});
