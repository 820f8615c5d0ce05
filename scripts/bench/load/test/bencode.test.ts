import assert from 'node:assert/strict';
import { bdecode, bencode } from '../bencode.js';
import { LoadBenchError } from '../errors.js';

describe('bench/load bencode', function () {
  this.timeout(2000);

  it('encodes dictionaries with sorted keys, strings by byte length, lists and integers', () => {
    const b = bencode({ z: 'é', command: 'ping', n: -3, l: ['a', 1] });
    assert.equal(b.toString('utf8'), 'd7:command4:ping1:ll1:ai1ee1:ni-3e1:z2:ée');
  });

  it('round-trips an ng offer reply', () => {
    const v = { result: 'ok', sdp: 'v=0\r\nm=audio 30000 RTP/AVP 0\r\n', list: [1, 'x', { a: 'b' }] };
    assert.deepEqual(bdecode(bencode(v)), v);
  });

  for (const [name, text] of [
    ['truncated string', '5:abc'],
    ['unterminated dict', 'd3:abc'],
    ['trailing bytes', 'i1ex'],
    ['bad integer', 'i1x2e'],
    ['non-string key', 'di1e1:ae'],
  ] as const) {
    it(`rejects ${name} with CV_ERR_BENCH_BAD_MESSAGE`, () => {
      assert.throws(
        () => bdecode(Buffer.from(text)),
        (err: unknown) => err instanceof LoadBenchError && err.code === 'CV_ERR_BENCH_BAD_MESSAGE',
      );
    });
  }

  it('refuses non-integer numbers', () => {
    assert.throws(
      () => bencode(1.5),
      (err: unknown) => err instanceof LoadBenchError && err.code === 'CV_ERR_BENCH_BAD_MESSAGE',
    );
  });
});
