import assert from 'node:assert/strict';
import { canonicalWavEnvelope, durationMsOf, parseWav, wavFieldsOf } from '../../../agent/src/vault/wav.js';
import { expectCode, noiseBytes, referenceWav, sinePcm16 } from './helpers.js';

describe('vault/wav', () => {
  it('canonical PCM16 header is the 44-byte form', () => {
    const data = sinePcm16(0.5, 8000, 440, 880);
    const { prefix, suffix } = canonicalWavEnvelope(
      { encoding: 'pcm16', channels: 2, sampleRate: 8000 },
      data.length,
    );
    assert.equal(prefix.length, 44);
    assert.ok(Buffer.concat([prefix, data, suffix]).equals(referenceWav(1, 2, 8000, data)));
  });

  it('canonical G.711 header has an 18-byte fmt and a fact chunk, and pads odd data', () => {
    const data = noiseBytes(8001);
    const { prefix, suffix } = canonicalWavEnvelope(
      { encoding: 'ulaw', channels: 1, sampleRate: 8000 },
      data.length,
    );
    assert.equal(prefix.length, 58);
    assert.equal(suffix.length, 1);
    assert.ok(Buffer.concat([prefix, data, suffix]).equals(referenceWav(7, 1, 8000, data)));
  });

  it('parses supported WAVs keeping header bytes and trailing bytes', () => {
    for (const [tag, ch, rate] of [
      [1, 1, 8000],
      [1, 2, 16000],
      [1, 2, 48000],
      [6, 1, 8000],
      [7, 2, 8000],
    ] as const) {
      const data = tag === 1 ? sinePcm16(0.1, rate, 440, ch === 2 ? 660 : undefined) : noiseBytes(800 * ch);
      const wav = Buffer.concat([referenceWav(tag, ch, rate, data), Buffer.from('x')]);
      wav.writeUInt32LE(wav.readUInt32LE(4), 4);
      const p = parseWav(wav);
      assert.equal(p.format.channels, ch);
      assert.equal(p.format.sampleRate, rate);
      assert.ok(p.audio.equals(data));
      assert.ok(Buffer.concat([p.prefix, p.audio, p.suffix]).equals(wav));
    }
  });

  it('names what is wrong with CV_ERR_VAULT_BAD_WAV', async () => {
    const good = referenceWav(1, 1, 8000, sinePcm16(0.1, 8000, 440));
    const mutate = (f: (b: Buffer) => void): Buffer => {
      const b = Buffer.from(good);
      f(b);
      return b;
    };
    const cases: Buffer[] = [
      Buffer.from('hello world, not a wav'),
      good.subarray(0, 30),
      good.subarray(0, good.length - 1),
      mutate((b) => b.writeUInt16LE(3, 20)), // IEEE float
      mutate((b) => b.writeUInt16LE(0xfffe, 20)), // WAVE_FORMAT_EXTENSIBLE
      mutate((b) => b.writeUInt16LE(24, 34)), // 24-bit
      mutate((b) => b.writeUInt16LE(3, 22)), // 3 channels
      mutate((b) => b.writeUInt32LE(22050, 24)),
      mutate((b) => b.write('xxxx', 12, 'ascii')), // no fmt chunk
      mutate((b) => b.write('yyyy', 36, 'ascii')), // no data chunk
      mutate((b) => b.writeUInt16LE(3, 32)), // block align
    ];
    for (const c of cases) await expectCode(() => parseWav(c), 'CV_ERR_VAULT_BAD_WAV');
  });

  it('formats map to WAV fields; durations are in ms', async () => {
    assert.deepEqual(wavFieldsOf({ encoding: 'alaw', channels: 2, sampleRate: 8000 }), {
      formatTag: 6,
      channels: 2,
      sampleRate: 8000,
      bitsPerSample: 8,
    });
    assert.equal(durationMsOf({ encoding: 'pcm16', channels: 2, sampleRate: 8000 }, 32000), 1000);
    await expectCode(
      // @ts-expect-error: three channels are not a supported format
      () => wavFieldsOf({ encoding: 'pcm16', channels: 3, sampleRate: 8000 }),
      'CV_ERR_VAULT_BAD_FORMAT',
    );
  });
});
