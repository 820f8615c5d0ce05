import assert from 'node:assert/strict';
import {
  SipClosedError,
  SipParseError,
  SipStreamFramer,
  parseMessage,
  type SipFrame,
} from '../../../agent/src/sip/index.js';
import { options } from './helpers.js';

function messages(frames: SipFrame[]): string[] {
  return frames.flatMap((f) =>
    f.type === 'message' ? [parseMessage(f.bytes, { transport: 'stream' }).body.toString()] : [],
  );
}

describe('sip stream framer', function () {
  this.timeout(5000);

  it('yields several messages from one chunk', () => {
    const framer = new SipStreamFramer();
    const frames = framer.push(Buffer.concat([options([], 'one'), options([], 'two'), options([], '')]));
    assert.deepEqual(messages(frames), ['one', 'two', '']);
    assert.equal(framer.bufferedBytes, 0);
  });

  it('reassembles one message delivered a byte at a time', () => {
    const framer = new SipStreamFramer();
    const whole = options([], 'body-bytes');
    const frames: SipFrame[] = [];
    for (let i = 0; i < whole.length; i++) {
      const out = framer.push(whole.subarray(i, i + 1));
      if (i < whole.length - 1) assert.equal(out.length, 0);
      frames.push(...out);
    }
    assert.deepEqual(messages(frames), ['body-bytes']);
  });

  it('reports CRLFCRLF pings between messages and skips CRLF pongs', () => {
    const framer = new SipStreamFramer();
    const frames = framer.push(Buffer.concat([Buffer.from('\r\n\r\n'), options(), Buffer.from('\r\n')]));
    assert.deepEqual(
      frames.map((f) => f.type),
      ['ping', 'message'],
    );
    assert.deepEqual(
      framer.push(Buffer.from('\r\n')).map((f) => f.type),
      ['ping'],
    );
    assert.deepEqual(messages(framer.push(options([], 'x'))), ['x']);
  });

  it('requires Content-Length and fails for good after a framing error', () => {
    const framer = new SipStreamFramer();
    const noCl = Buffer.from(options().toString().replace('Content-Length: 0\r\n', ''));
    assert.throws(
      () => framer.push(noCl),
      (e: unknown) => e instanceof SipParseError && e.reason === 'content-length',
    );
    assert.throws(
      () => framer.push(options()),
      (e: unknown) => e instanceof SipClosedError && e.code === 'CV_ERR_SIP_CLOSED',
    );
  });

  it('refuses messages over the size limit, whether headers never end or the body is too big', () => {
    const a = new SipStreamFramer({ maxMessageBytes: 1000 });
    assert.throws(
      () => a.push(Buffer.from(`OPTIONS sip:a SIP/2.0\r\nX: ${'y'.repeat(2000)}`)),
      (e: unknown) => e instanceof SipParseError && e.reason === 'too-large',
    );
    const b = new SipStreamFramer({ maxMessageBytes: 1000 });
    const big = Buffer.from(options().toString().replace('Content-Length: 0', 'Content-Length: 900'));
    assert.throws(
      () => b.push(big),
      (e: unknown) => e instanceof SipParseError && e.reason === 'too-large',
    );
  });
});
