import assert from 'node:assert/strict';
import { salvageBadRequest } from '../../../agent/src/sip/index.js';

const LINES = [
  'Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1',
  'From: <sip:a@127.0.0.1>;tag=1',
  'To: <sip:b@127.0.0.1>',
  'Call-ID: s1',
  'CSeq: 9999999999999 INVITE',
];

function msg(first: string, lines: readonly string[]): Buffer {
  return Buffer.from(`${first}\r\n${lines.join('\r\n')}\r\n\r\n`);
}

describe('sip salvage', function () {
  this.timeout(5000);

  it('echoes Via/From/To/Call-ID/CSeq into a 400 with a To tag', () => {
    const out = salvageBadRequest(msg('INVITE sip:b@127.0.0.1 SIP/2.0', LINES), 'bad-cseq')?.toString() ?? '';
    assert.ok(
      out.startsWith('SIP/2.0 400 Bad Request (bad-cseq)\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1\r\n'),
    );
    assert.match(out, /\r\nTo: <sip:b@127.0.0.1>;tag=[0-9a-f]{16}\r\n/);
    assert.match(out, /\r\nContent-Length: 0\r\n\r\n$/);
  });

  it('answers a repeated essential from its first occurrence (RFC 4475 multi01)', () => {
    const out =
      salvageBadRequest(
        msg('INVITE sip:b SIP/2.0', [...LINES, 'Call-ID: s2']),
        'duplicate-header',
      )?.toString() ?? '';
    assert.match(out, /^SIP\/2\.0 400 /);
    assert.equal(out.match(/^Call-ID:/gm)?.length, 1);
    assert.ok(!out.includes('Call-ID: s2'));
  });

  it('answers without From, To and Call-ID when they are missing (RFC 4475 insuf)', () => {
    const out =
      salvageBadRequest(msg('INVITE sip:b SIP/2.0', [LINES[4]!, LINES[0]!]), 'missing-header')?.toString() ?? '';
    assert.equal(
      out,
      'SIP/2.0 400 Bad Request (missing-header)\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1\r\n' +
        'CSeq: 9999999999999 INVITE\r\nContent-Length: 0\r\n\r\n',
    );
  });

  it('gives up on responses, ACKs, and missing Via or CSeq', () => {
    assert.equal(salvageBadRequest(msg('SIP/2.0 200 OK', LINES), 'x'), undefined);
    assert.equal(salvageBadRequest(msg('ACK sip:b@127.0.0.1 SIP/2.0', LINES), 'x'), undefined);
    assert.equal(salvageBadRequest(msg('INVITE sip:b SIP/2.0', LINES.slice(1)), 'x'), undefined);
    assert.equal(salvageBadRequest(msg('INVITE sip:b SIP/2.0', LINES.slice(0, 4)), 'x'), undefined);
    assert.equal(
      salvageBadRequest(msg('INVITE sip:b SIP/2.0', [...LINES.slice(0, 4), 'CSeq: 1 ACK']), 'x'),
      undefined,
    );
    assert.equal(salvageBadRequest(Buffer.from('garbage'), 'x'), undefined);
  });
});
