/** training/pcm.ts: WAV (PCM16, A-law, µ-law) to channels and back. */
import assert from 'node:assert/strict';
import { encodeAlaw, encodeUlaw } from '../../../agent/src/media/index.js';
import { canonicalWavEnvelope } from '../../../agent/src/vault/index.js';
import { channelsToWav, wavToChannels } from '../../../agent/src/training/index.js';

describe('training/pcm', () => {
  const left = Int16Array.from({ length: 800 }, (_, i) => Math.round(8000 * Math.sin(i / 5)));
  const right = Int16Array.from({ length: 800 }, (_, i) => Math.round(-4000 * Math.sin(i / 7)));

  it('round-trips stereo PCM16 through a canonical 44-byte WAV', () => {
    const wav = channelsToWav({ sampleRate: 16000, channels: [left, right] });
    assert.equal(wav.length, 44 + 800 * 4);
    const back = wavToChannels(wav);
    assert.equal(back.sampleRate, 16000);
    assert.deepEqual(back.channels, [left, right]);
  });

  for (const [encoding, encode] of [
    ['alaw', encodeAlaw],
    ['ulaw', encodeUlaw],
  ] as const) {
    it(`decodes ${encoding} (mono) to linear samples close to the original`, () => {
      const data = Buffer.from(encode(left));
      const { prefix } = canonicalWavEnvelope({ encoding, channels: 1, sampleRate: 8000 }, data.length);
      const back = wavToChannels(Buffer.concat([prefix, data]));
      assert.equal(back.channels.length, 1);
      const worst = Math.max(...back.channels[0]!.map((v, i) => Math.abs(v - left[i]!)));
      assert.ok(worst < 300, `G.711 error ${worst}`);
    });
  }
});
