import assert from 'node:assert/strict';
import { streamingWavHeader } from '../../../agent/src/api/live-routes.js';
import { readWav } from '../../helpers/audio.js';

describe('api/live-routes', () => {
  it('the live stream starts with a WAV header of unknown length that players and readers accept', () => {
    const h = streamingWavHeader(2, 8000);
    assert.equal(h.length, 44);
    assert.equal(h.readUInt32LE(4), 0xffffffff);
    assert.equal(h.readUInt32LE(40), 0xffffffff);
    const pcm = Buffer.alloc(8);
    pcm.writeInt16LE(1000, 0);
    pcm.writeInt16LE(-1000, 2);
    const wav = readWav(Buffer.concat([h, pcm]));
    assert.deepEqual(
      [wav.formatTag, wav.channels, wav.sampleRate, wav.bitsPerSample, wav.data.length],
      [1, 2, 8000, 16, 8],
    );
    assert.equal(h.readUInt32LE(28), 32000, 'byte rate');
    assert.equal(h.readUInt16LE(32), 4, 'block align');
  });
});
