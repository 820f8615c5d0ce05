import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseMessage, serializeMessage } from '../../../agent/src/sip/index.js';
import { options } from './helpers.js';

describe('sip serializer', function () {
  this.timeout(5000);

  it('writes conventional names for known and compact headers and keeps unknown spelling', () => {
    const m = parseMessage(options(['k: timer', 'x-VENDOR-id: 42', 'WWW-authenticate: Digest realm="x"']));
    const text = serializeMessage(m).toString();
    assert.match(text, /\r\nSupported: timer\r\n/);
    assert.match(text, /\r\nx-VENDOR-id: 42\r\n/);
    assert.match(text, /\r\nWWW-Authenticate: Digest realm="x"\r\n/);
    assert.match(text, /\r\nCSeq: 1 OPTIONS\r\n/);
    assert.ok(text.startsWith('OPTIONS sip:srs@127.0.0.1 SIP/2.0\r\n'));
    assert.ok(text.endsWith('\r\n\r\n'));
  });

  it('writes exactly one Content-Length equal to the body, adding one when absent', () => {
    const withBody = parseMessage(options([], 'héllo'));
    const text = serializeMessage(withBody).toString();
    assert.equal(text.match(/Content-Length/g)?.length, 1);
    assert.match(text, /Content-Length: 6\r\n\r\nhéllo$/);
    const noCl = parseMessage(
      Buffer.from(options([], 'abc').toString().replace('Content-Length: 3\r\n', '')),
    );
    assert.match(serializeMessage(noCl).toString(), /Content-Length: 3\r\n\r\nabc$/);
  });

  it('round-trips a SIPREC INVITE byte for byte in its body', () => {
    const raw = readFileSync(new URL('../../fixtures/sip/siprec/cisco-cube-invite.sip', import.meta.url));
    const out = serializeMessage(parseMessage(raw));
    assert.ok(out.equals(raw));
  });
});
