import assert from 'node:assert/strict';
import {
  SipBuildError,
  makeRequest,
  parseMessage,
  serializeMessage,
  stampReceived,
  type SipRequest,
} from '../../../agent/src/sip/index.js';
import { sip, BASIC_HEADERS } from './helpers.js';

describe('sip request', function () {
  this.timeout(5000);

  it('builds a request whose Content-Length follows the body', () => {
    const r = makeRequest({
      method: 'INFO',
      uri: 'sip:b@127.0.0.1',
      headers: [
        ...BASIC_HEADERS.map((l) => l.split(': ') as [string, string]).map(([n, v]): [string, string] => [
          n,
          n === 'CSeq' ? '1 INFO' : v,
        ]),
        ['Content-Length', '99'],
      ],
      body: Buffer.from('abc'),
    });
    assert.equal(r.contentLength, 3);
    assert.equal(parseMessage(serializeMessage(r)).body.toString(), 'abc');
    assert.throws(
      () => makeRequest({ method: 'INFO', uri: 'sip:b', headers: [] }),
      (e: unknown) => e instanceof SipBuildError,
    );
  });

  it('stamps received when sent-by differs and fills rport when asked', () => {
    const m = parseMessage(
      sip([
        'OPTIONS sip:srs@127.0.0.1 SIP/2.0',
        'Via: SIP/2.0/UDP 203.0.113.5:5070;rport;branch=z9hG4bK1, SIP/2.0/UDP 198.51.100.2;branch=z9hG4bK0',
        ...BASIC_HEADERS.slice(1),
      ]),
    ) as SipRequest;
    const s = stampReceived(m, '127.0.0.1', 40000);
    assert.equal(s.via[0]?.received, '127.0.0.1');
    assert.equal(s.via[0]?.rport, 40000);
    assert.equal(s.via[1]?.host, '198.51.100.2');
    assert.equal(s.via.length, 2);
    assert.equal(m.via[0]?.received, undefined);
    const same = parseMessage(
      sip([
        'OPTIONS sip:srs@127.0.0.1 SIP/2.0',
        'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1',
        ...BASIC_HEADERS.slice(1),
      ]),
    ) as SipRequest;
    assert.equal(stampReceived(same, '127.0.0.1', 5070), same);
  });

  it('stamps only whole parameter names: a parameter that starts with "received" is kept (found by the daemon fuzz)', () => {
    const m = parseMessage(
      sip([
        'OPTIONS sip:srs@127.0.0.1 SIP/2.0',
        'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK776;rport;receivedrport=1.2.3.4',
        ...BASIC_HEADERS.slice(1),
      ]),
    ) as SipRequest;
    const s = stampReceived(m, '127.0.0.2', 5999);
    assert.equal(s.via[0]?.received, '127.0.0.2');
    assert.equal(s.via[0]?.rport, 5999);
    assert.match(s.headers.find((h) => h.name === 'via')?.value ?? '', /;receivedrport=1\.2\.3\.4/);
  });
});
