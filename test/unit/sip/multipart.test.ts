import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseMediaType, parseMessage, parseMultipart } from '../../../agent/src/sip/index.js';
import { refusedAs } from './helpers.js';

const FIXTURES = new URL('../../fixtures/sip/', import.meta.url);

const badMultipart = (ct: string, body: string): boolean =>
  refusedAs('bad-multipart', () => parseMultipart(ct, Buffer.from(body)));

describe('sip multipart', function () {
  this.timeout(5000);

  it('splits a SIPREC INVITE into SDP and rs-metadata parts with their headers', () => {
    const msg = parseMessage(readFileSync(new URL('siprec/cisco-cube-invite.sip', FIXTURES)));
    assert.ok(msg.contentType);
    const parts = parseMultipart(msg.contentType, msg.body);
    assert.deepEqual(
      parts.map((p) => p.contentType),
      ['application/sdp', 'application/rs-metadata+xml'],
    );
    assert.ok(parts[0]?.body.toString().startsWith('v=0\r\n'));
    assert.ok(parts[0]?.body.toString().endsWith('a=label:2\r\n'));
    assert.ok(parts[1]?.body.toString().trimEnd().endsWith('</recording>'));
    assert.equal(parts[1]?.headers.find((h) => h.name === 'content-disposition')?.value, 'recording-session');
  });

  it('keeps binary parts byte for byte (RFC 4475 mpart01)', () => {
    const msg = parseMessage(readFileSync(new URL('rfc4475/mpart01.dat', FIXTURES)));
    const parts = parseMultipart(msg.contentType ?? '', msg.body);
    assert.equal(parts.length, 2);
    assert.equal(parts[0]?.body.toString(), 'Hello');
    assert.equal(parts[1]?.contentType, 'application/octet-stream');
    assert.ok((parts[1]?.body.length ?? 0) > 300);
  });

  it('handles quoted boundaries, preamble, LF line ends and parts without headers', () => {
    const body = 'preamble\n--b b\n\nplain\n--b b\nContent-Type: application/sdp\n\nv=0\n--b b--\n';
    const parts = parseMultipart('multipart/mixed; boundary="b b"', Buffer.from(body));
    assert.deepEqual(
      parts.map((p) => [p.contentType, p.body.toString()]),
      [
        ['text/plain', 'plain'],
        ['application/sdp', 'v=0'],
      ],
    );
  });

  it('parses media types and rejects broken multiparts', () => {
    assert.deepEqual(parseMediaType('Application/SDP ; charset=utf-8'), {
      mime: 'application/sdp',
      params: new Map([['charset', 'utf-8']]),
    });
    assert.equal(parseMediaType('nonsense'), undefined);
    assert.ok(badMultipart('application/sdp', 'x'));
    assert.ok(badMultipart('multipart/mixed', '--x\r\n\r\na\r\n--x--'));
    assert.ok(badMultipart('multipart/mixed;boundary=x', 'no delimiter'));
    assert.ok(badMultipart('multipart/mixed;boundary=x', '--x\r\n\r\nunterminated'));
    assert.ok(badMultipart('multipart/mixed;boundary=x', '--x\r\nBroken Header\r\n\r\na\r\n--x--'));
  });
});
