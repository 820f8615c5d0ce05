import assert from 'node:assert/strict';
import {
  CODECS,
  DEFAULT_PAYLOAD_TYPES,
  codecForEncodingName,
  createAudioDecoder,
  encodeAlaw,
  encodeG722,
  createG722State,
} from '../../../agent/src/media/index.js';
import { tone, zeroCrossingHz } from './tone.js';

describe('media/codecs', function () {
  this.timeout(2000);

  it('knows the static payload types and the G.722 clock quirk', function () {
    assert.deepEqual(
      [...DEFAULT_PAYLOAD_TYPES],
      [
        [0, 'PCMU'],
        [8, 'PCMA'],
        [9, 'G722'],
        [13, 'CN'],
        [101, 'telephone-event'],
      ],
    );
    assert.equal(CODECS.G722.clockRate, 8000);
    assert.equal(CODECS.G722.sampleRate, 16000);
    assert.deepEqual(['pcmu', 'PCMA', 'G722', 'telephone-event', 'opus'].map(codecForEncodingName), [
      'PCMU',
      'PCMA',
      'G722',
      'telephone-event',
      undefined,
    ]);
  });

  it('creates decoders only for audio codecs, and a reset G.722 decoder starts afresh', function () {
    assert.equal(createAudioDecoder('CN'), undefined);
    assert.equal(createAudioDecoder('telephone-event'), undefined);
    const a = createAudioDecoder('PCMA')!;
    const pcm = new Int16Array(800);
    a.decode(encodeAlaw(tone(500, 8000, 800)), 0, 800, pcm, 0);
    assert.ok(Math.abs(zeroCrossingHz(pcm, 8000) - 500) < 15);
    const g = createAudioDecoder('G722')!;
    const bits = encodeG722(createG722State(), tone(1000, 16000, 640));
    const first = new Int16Array(640);
    const again = new Int16Array(640);
    g.decode(bits, 0, 320, first, 0);
    g.reset();
    g.decode(bits, 0, 320, again, 0);
    assert.deepEqual([...again], [...first]);
  });
});
