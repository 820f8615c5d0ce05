import assert from 'node:assert/strict';
import { readWav } from '../../../../test/helpers/audio.js';
import { audibleSpan, checkWav, toneFor } from '../verify.js';

/** 8 kHz stereo PCM16 WAV: `silenceS` of silence, `toneS` of tones (left, right), `silenceS` again. */
function stereoWav(silenceS: number, toneS: number, left: number, right: number): Buffer {
  const rate = 8000;
  const frames = Math.round((2 * silenceS + toneS) * rate);
  const data = Buffer.alloc(frames * 4);
  for (let i = 0; i < frames; i++) {
    const t = i / rate;
    if (t < silenceS || t >= silenceS + toneS) continue;
    data.writeInt16LE(Math.round(8000 * Math.sin(2 * Math.PI * left * t)), i * 4);
    data.writeInt16LE(Math.round(8000 * Math.sin(2 * Math.PI * right * t)), i * 4 + 2);
  }
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVEfmt ', 8, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(2, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 4, 28);
  h.writeUInt16LE(4, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

describe('bench/load verify', function () {
  this.timeout(5000);

  it('gives each call distinct caller and agent tones that repeat only every 40 calls', () => {
    assert.notEqual(toneFor(0, 1), toneFor(0, 2));
    assert.notEqual(toneFor(1, 1), toneFor(2, 1));
    assert.equal(toneFor(3, 1), toneFor(43, 1));
  });

  it('finds where the tone is and accepts the right tones, length and placement', () => {
    const wav = readWav(stereoWav(1, 3, 460, 1160));
    assert.deepEqual(audibleSpan(wav, 0), { fromS: 1, toS: 4 });
    const r = checkWav(wav, [460, 1160], 3, 1);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.measuredHz, [460, 1160]);
    assert.deepEqual(r.placementOffsetS, [0, 0]);
    assert.equal(r.durationS, 5);
  });

  it('reports swapped channels, too little tone and late placement', () => {
    const wav = readWav(stereoWav(1, 3, 1160, 460));
    const r = checkWav(wav, [460, 1160], 5, 0.5);
    assert.equal(r.problems.filter((p) => p.includes('Hz')).length, 2);
    assert.equal(r.problems.filter((p) => p.includes('s of tone')).length, 2);
    assert.deepEqual(r.placementOffsetS, [0.5, 0.5]);
  });

  it('treats an all-silent channel as no tone', () => {
    const wav = readWav(stereoWav(1, 0, 440, 440));
    assert.equal(audibleSpan(wav, 1), null);
    assert.deepEqual(checkWav(wav, [440, 1000], 1, 0).measuredHz, [0, 0]);
  });
});
