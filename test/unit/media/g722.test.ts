import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createG722State, decodeG722, encodeG722 } from '../../../agent/src/media/index.js';
import { powerAt, tone, zeroCrossingHz } from './tone.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const asS16 = (b: Buffer): Int16Array =>
  new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;

function decodeAll(bits: Uint8Array): Int16Array {
  const out = new Int16Array(bits.length * 2);
  assert.equal(decodeG722(createG722State(), bits, 0, bits.length, out, 0), bits.length * 2);
  return out;
}

describe('media/g722', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cv-g722-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('decodes an ffmpeg-encoded 1 kHz tone bit-exactly like ffmpeg (fixture)', function () {
    this.timeout(5000);
    const bits = readFileSync(join(fixtures, 'sine1000-16k.g722'));
    const ref = asS16(readFileSync(join(fixtures, 'sine1000-16k.ffmpeg.s16le')));
    const out = decodeAll(bits);
    assert.equal(out.length, ref.length);
    assert.deepEqual([...out], [...ref]);
    const f = zeroCrossingHz(out.subarray(800), 16000);
    assert.ok(Math.abs(f - 1000) < 10, `dominant ${f} Hz`);
  });

  it('our encoder reproduces ffmpeg’s bitstream for the same input', function () {
    this.timeout(10000);
    if (!hasFfmpeg) this.skip();
    const src = join(dir, 'src.raw');
    const enc = join(dir, 'out.g722');
    assert.equal(
      spawnSync('ffmpeg', [
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        'sine=f=440:d=0.5',
        '-ar',
        '16000',
        '-f',
        's16le',
        src,
      ]).status,
      0,
    );
    assert.equal(
      spawnSync('ffmpeg', [
        '-v',
        'error',
        '-f',
        's16le',
        '-ar',
        '16000',
        '-ac',
        '1',
        '-i',
        src,
        '-acodec',
        'g722',
        '-f',
        'g722',
        enc,
      ]).status,
      0,
    );
    const ours = encodeG722(createG722State(), asS16(readFileSync(src)));
    assert.deepEqual([...ours], [...readFileSync(enc)]);
  });

  it('a tone survives encode→decode with its frequency and > 25 dB SNR', function () {
    this.timeout(5000);
    for (const freq of [440, 1000, 3000, 6000]) {
      const src = tone(freq, 16000, 16000, 10000);
      const out = decodeAll(encodeG722(createG722State(), src));
      // The QMF pair delays the signal by 22 samples at 16 kHz.
      let err = 0;
      let sig = 0;
      for (let i = 2000; i < src.length; i++) {
        const d = out[i]! - src[i - 22]!;
        err += d * d;
        sig += src[i - 22]! * src[i - 22]!;
      }
      const snrDb = 10 * Math.log10(sig / err);
      assert.ok(snrDb > 25, `${freq} Hz: SNR ${snrDb.toFixed(1)} dB`);
      assert.ok(powerAt(out, 16000, freq) > 50 * powerAt(out, 16000, freq * 1.3), `${freq} Hz dominant`);
    }
  });

  it('keeps state across calls: split decoding equals one-shot decoding', function () {
    this.timeout(2000);
    const bits = encodeG722(createG722State(), tone(700, 16000, 3200));
    const whole = decodeAll(bits);
    const st = createG722State();
    const parts = new Int16Array(whole.length);
    decodeG722(st, bits, 0, 700, parts, 0);
    decodeG722(st, bits, 700, bits.length - 700, parts, 1400);
    assert.deepEqual([...parts], [...whole]);
  });
});
