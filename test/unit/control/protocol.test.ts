import assert from 'node:assert/strict';
import { LineSplitter, MAX_LINE_BYTES, encodeFrame } from '../../../agent/src/control/protocol.js';

describe('control/protocol', () => {
  it('splits lines across and within chunks', () => {
    const s = new LineSplitter();
    assert.deepEqual(s.push('{"a":1}\n{"b"'), ['{"a":1}']);
    assert.deepEqual(s.push(':2}\n\n{"c":3}\n'), ['{"b":2}', '{"c":3}']);
  });

  it('cuts off a line longer than the limit', () => {
    const s = new LineSplitter();
    assert.throws(() => s.push('x'.repeat(MAX_LINE_BYTES + 1)));
  });

  it('encodes one frame per line', () => {
    const line = encodeFrame({ t: 'end' });
    assert.equal(line, '{"t":"end"}\n');
  });
});
