/** training/dtmf-detect.ts: Goertzel DTMF detection on generated PCM with known digits. */
import assert from 'node:assert/strict';
import { blockDigit, detectDtmf } from '../../../agent/src/training/dtmf-detect.js';
import { dtmfPcm } from '../../helpers/dtmf.js';

function sine(rate: number, seconds: number, parts: [number, number][]): Int16Array {
  const out = new Int16Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++) {
    let v = 0;
    for (const [hz, amp] of parts) v += amp * Math.sin((2 * Math.PI * hz * i) / rate);
    out[i] = Math.round(v * 32767);
  }
  return out;
}

describe('training/dtmf-detect', () => {
  for (const rate of [8000, 16000, 48000]) {
    it(`finds all 16 digits in order, each where it was keyed (${rate} Hz)`, () => {
      const digits = '1234567890*#ABCD';
      const { pcm, at } = dtmfPcm(digits, rate);
      const spans = detectDtmf(pcm, rate);
      assert.equal(spans.map((s) => s.digit).join(''), digits);
      spans.forEach((s, k) =>
        assert.ok(Math.abs(s.start - at[k]!) < rate * 0.03, `digit ${k} at ${s.start}`),
      );
    });
  }

  it('finds digits keyed at -20 dBFS per tone with twist and under noise', () => {
    const { pcm } = dtmfPcm('4711', 8000, { amp: 0.1, noiseAmp: 0.02, toneS: 0.05, gapS: 0.05 });
    assert.equal(
      detectDtmf(pcm, 8000)
        .map((s) => s.digit)
        .join(''),
      '4711',
    );
  });

  it('finds nothing in silence, noise, one tone alone, dial tone or a chord of non-DTMF tones', () => {
    const rate = 8000;
    const quiet = new Int16Array(rate);
    const { pcm: hiss } = dtmfPcm('', rate, { noiseAmp: 0.3, leadS: 0.5 });
    const cases: [string, Int16Array][] = [
      ['silence', quiet],
      ['white noise', hiss],
      ['697 Hz alone', sine(rate, 1, [[697, 0.3]])],
      ['1209 Hz alone', sine(rate, 1, [[1209, 0.3]])],
      [
        'dial tone 350+440',
        sine(rate, 1, [
          [350, 0.3],
          [440, 0.3],
        ]),
      ],
      [
        'a vowel-like 200 Hz with harmonics',
        sine(rate, 1, [
          [200, 0.3],
          [400, 0.2],
          [800, 0.15],
          [1200, 0.1],
        ]),
      ],
      [
        'a far too quiet digit',
        sine(rate, 1, [
          [697, 0.004],
          [1209, 0.004],
        ]),
      ],
      [
        'too much twist',
        sine(rate, 1, [
          [697, 0.5],
          [1209, 0.05],
        ]),
      ],
    ];
    for (const [what, pcm] of cases) assert.deepEqual(detectDtmf(pcm, rate), [], what);
  });

  it('minBlocks is the number of consecutive half-block steps a digit must last', () => {
    const { pcm } = dtmfPcm('5', 8000, { toneS: 0.03 });
    assert.equal(detectDtmf(pcm, 8000, { minBlocks: 1 })[0]?.digit, '5');
    assert.deepEqual(detectDtmf(pcm, 8000, { minBlocks: 6 }), [], 'a 30 ms tone spans fewer than 6 steps');
    const { pcm: long } = dtmfPcm('5', 8000, { toneS: 0.2 });
    assert.equal(detectDtmf(long, 8000, { minBlocks: 6 })[0]?.digit, '5');
  });

  it('blockDigit reads one block', () => {
    const s = sine(8000, 0.03, [
      [852, 0.3],
      [1477, 0.3],
    ]);
    assert.equal(blockDigit(s, 0, 205, 8000), '9');
  });
});
