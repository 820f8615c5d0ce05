import assert from 'node:assert/strict';
import { MediaConfigError, type CodecName } from '../../../agent/src/media/index.js';
import { createMediaRuntime } from '../../../agent/src/media/runtime.js';

describe('media/runtime', () => {
  it('shares one frozen payload-type table per distinct map, within one runtime only', () => {
    const runtime = createMediaRuntime();
    const a = runtime.codecTable(new Map<number, CodecName>([[8, 'PCMA']]));
    const b = runtime.codecTable(new Map<number, CodecName>([[8, 'PCMA']]));
    assert.equal(a, b);
    assert.ok(Object.isFrozen(a));
    assert.equal(a.length, 128);
    assert.equal(a[8]?.name, 'PCMA');
    assert.notEqual(createMediaRuntime().codecTable(new Map<number, CodecName>([[8, 'PCMA']])), a);
    assert.throws(
      () => runtime.codecTable(new Map<number, CodecName>([[-1, 'PCMU']])),
      (err: unknown) => err instanceof MediaConfigError && err.code === 'CV_ERR_MEDIA_CONFIG',
    );
  });

  it('keeps a word view of a large source buffer and none of a small one', () => {
    const runtime = createMediaRuntime();
    const big = new Uint8Array(65536);
    const words = runtime.wordsOf(big.subarray(100, 260));
    assert.ok(words !== null && words.buffer === big.buffer && words.length === 16384);
    assert.equal(runtime.wordsOf(big.subarray(4000, 4160)), words);
    assert.equal(runtime.wordsOf(new Uint8Array(172)), null);
    assert.equal(runtime.wordsOf(big), words);
  });

  it('grows its scratch on demand and hands out the same array while it is large enough', () => {
    const runtime = createMediaRuntime();
    const d = runtime.decodeScratch(640);
    assert.ok(d.length >= 640);
    assert.equal(runtime.decodeScratch(100), d);
    assert.ok(runtime.decodeScratch(4096).length >= 4096);
    assert.notEqual(runtime.resampleScratch(640), runtime.decodeScratch(640));
    assert.equal(runtime.parse, runtime.parse);
    assert.notEqual(createMediaRuntime().parse, runtime.parse);
  });
});
