import assert from 'node:assert/strict';
import { SipParseError, getHeader, getHeaderList, parseMessage } from '../../../agent/src/sip/index.js';
import { BASIC_HEADERS, options, sip } from './helpers.js';

function reason(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof SipParseError) return err.reason;
    throw err;
  }
  return undefined;
}

describe('sip parser', function () {
  this.timeout(5000);

  it('parses a request with typed essentials', () => {
    const m = parseMessage(options(['Contact: <sip:alice@127.0.0.1:5070>']));
    assert.equal(m.kind, 'request');
    assert.equal(m.kind === 'request' && m.method, 'OPTIONS');
    assert.equal(m.kind === 'request' && m.requestUri.kind === 'sip' && m.requestUri.host, '127.0.0.1');
    assert.equal(m.from.displayName, 'Alice');
    assert.equal(m.from.tag, 'a1');
    assert.equal(m.to.tag, undefined);
    assert.equal(m.callId, 'call-1@127.0.0.1');
    assert.deepEqual(m.cseq, { seq: 1, method: 'OPTIONS' });
    assert.equal(m.via[0]?.rport, null);
    assert.equal(m.maxForwards, 70);
    assert.equal(m.contentLength, 0);
  });

  it('maps every compact form and is case-insensitive', () => {
    const m = parseMessage(
      sip([
        'OPTIONS sip:srs@127.0.0.1 SIP/2.0',
        'v: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK-2',
        'F: <sip:a@127.0.0.1>;tag=x',
        't: <sip:b@127.0.0.1>',
        'I: c2',
        'cSeQ: 7 OPTIONS',
        'k: timer',
        'm: <sip:a@127.0.0.1>',
        's: hello',
        'o: refer',
        'u: talk',
        'x: 1800',
        'L: 0',
      ]),
    );
    assert.equal(m.callId, 'c2');
    assert.equal(getHeader(m, 'Supported'), 'timer');
    assert.equal(getHeader(m, 'contact'), '<sip:a@127.0.0.1>');
    assert.equal(getHeader(m, 'Subject'), 'hello');
    assert.equal(getHeader(m, 'event'), 'refer');
    assert.equal(getHeader(m, 'Allow-Events'), 'talk');
    assert.equal(getHeader(m, 'session-expires'), '1800');
    assert.equal(m.contentLength, 0);
  });

  it('unfolds continuation lines and collects repeated and comma-separated values', () => {
    const m = parseMessage(
      options(['Allow: INVITE,', '  ACK , BYE', 'Allow: CANCEL', 'Route: <sip:p1;lr>, <sip:p2;lr>']),
    );
    assert.deepEqual(getHeaderList(m, 'allow'), ['INVITE', 'ACK', 'BYE', 'CANCEL']);
    assert.deepEqual(getHeaderList(m, 'route'), ['<sip:p1;lr>', '<sip:p2;lr>']);
  });

  it('accepts bare LF line ends and leading CRLFs', () => {
    const text = `\r\n\r\nOPTIONS sip:srs@127.0.0.1 SIP/2.0\n${BASIC_HEADERS.join('\n')}\nContent-Length: 0\n\n`;
    const m = parseMessage(Buffer.from(text));
    assert.equal(m.callId, 'call-1@127.0.0.1');
  });

  it('reads a datagram body up to Content-Length, or to the end without one', () => {
    const m = parseMessage(Buffer.concat([options([], 'abc'), Buffer.from('junk')]));
    assert.equal(m.body.toString(), 'abc');
    const noCl = sip(['OPTIONS sip:srs@127.0.0.1 SIP/2.0', ...BASIC_HEADERS], 'hello');
    assert.equal(parseMessage(noCl).body.toString(), 'hello');
    assert.equal(
      reason(() => parseMessage(noCl, { transport: 'stream' })),
      'content-length',
    );
  });

  it('decodes UTF-8 headers and falls back to latin1 for invalid UTF-8', () => {
    const utf8 = parseMessage(options(['Subject: Ärende']));
    assert.equal(getHeader(utf8, 'subject'), 'Ärende');
    const latin = Buffer.from(
      options(['Subject: \xc4rende']).toString('latin1').replace('Ã\x84', '\xc4'),
      'latin1',
    );
    assert.equal(getHeader(parseMessage(latin), 'subject'), 'Ärende');
  });

  it('parses responses, including an empty reason phrase', () => {
    const lines = BASIC_HEADERS.map((l) =>
      l.replace('To: <sip:srs@127.0.0.1>', 'To: <sip:srs@127.0.0.1>;tag=b'),
    );
    const m = parseMessage(sip(['SIP/2.0 180 Ringing', ...lines, 'Content-Length: 0']));
    assert.equal(m.kind === 'response' && m.status, 180);
    assert.equal(m.kind === 'response' && m.reason, 'Ringing');
    const empty = parseMessage(sip(['SIP/2.0 100', ...lines, 'Content-Length: 0']));
    assert.equal(empty.kind === 'response' && empty.reason, '');
  });

  it('refuses malformed input with a bounded reason', () => {
    assert.equal(
      reason(() => parseMessage(Buffer.alloc(0))),
      'empty',
    );
    assert.equal(
      reason(() => parseMessage(Buffer.from('\r\n\r\n'))),
      'empty',
    );
    assert.equal(
      reason(() => parseMessage(options(), { maxMessageBytes: 100 })),
      'too-large',
    );
    assert.equal(
      reason(() => parseMessage(sip(['OPTIONS  sip:a@b SIP/2.0', ...BASIC_HEADERS]))),
      'bad-start-line',
    );
    assert.equal(
      reason(() => parseMessage(sip(['OPTIONS sip:a@b HTTP/1.1', ...BASIC_HEADERS]))),
      'bad-start-line',
    );
    assert.equal(
      reason(() => parseMessage(sip(['SIP/2.0 20 OK', ...BASIC_HEADERS]))),
      'bad-start-line',
    );
    assert.equal(
      reason(() => parseMessage(sip(['OPTIONS sip:a@[::1 SIP/2.0', ...BASIC_HEADERS]))),
      'bad-uri',
    );
    assert.equal(
      reason(() => parseMessage(options(['no colon here']))),
      'bad-header',
    );
    assert.equal(
      reason(() => parseMessage(options(['Bad Name: x']))),
      'bad-header',
    );
    assert.equal(
      reason(() => parseMessage(options(['CSeq: 2 OPTIONS']))),
      'duplicate-header',
    );
    assert.equal(
      reason(() => parseMessage(options(['Content-Length: 0']))),
      'content-length',
    );
    assert.equal(
      reason(() => parseMessage(options(['Max-Forwards: 1']))),
      'duplicate-header',
    );
    const noVia = sip(['OPTIONS sip:a@b SIP/2.0', ...BASIC_HEADERS.slice(1), 'Content-Length: 0']);
    assert.equal(
      reason(() => parseMessage(noVia)),
      'missing-header',
    );
    const badCallId = sip([
      'OPTIONS sip:a@b SIP/2.0',
      ...BASIC_HEADERS.filter((h) => !h.startsWith('Call-ID')),
      'Call-ID: a b',
    ]);
    assert.equal(
      reason(() => parseMessage(badCallId)),
      'bad-call-id',
    );
    const many = Array.from({ length: 600 }, (_, i) => `X-H${i}: v`);
    assert.equal(
      reason(() => parseMessage(options(many))),
      'too-many-headers',
    );
    const cut = options([], 'abcdef').subarray(0, -3);
    assert.equal(
      reason(() => parseMessage(cut)),
      'content-length',
    );
    assert.equal(
      reason(() => parseMessage(cut, { transport: 'stream' })),
      'truncated',
    );
  });

  it('never returns a body that aliases past the declared length', () => {
    const m = parseMessage(Buffer.concat([options([], 'xyz'), Buffer.from('OPTIONS sip:x SIP/2.0\r\n')]));
    assert.equal(m.body.length, 3);
  });
});
