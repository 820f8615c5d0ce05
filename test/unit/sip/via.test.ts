import assert from 'node:assert/strict';
import { parseVia } from '../../../agent/src/sip/index.js';
import { refusedAs } from './helpers.js';

const bad = (value: string): boolean => refusedAs('bad-via', () => parseVia(value));

describe('sip via', function () {
  this.timeout(5000);

  it('parses sent-by, branch, received, rport and maddr', () => {
    const [v] = parseVia(
      'SIP/2.0/udp 192.0.2.1:5062;branch=z9hG4bK1;received=198.51.100.9;rport=40000;maddr=239.1.1.1;ttl=1',
    );
    assert.ok(v);
    assert.equal(v.transport, 'UDP');
    assert.equal(v.host, '192.0.2.1');
    assert.equal(v.port, 5062);
    assert.equal(v.branch, 'z9hG4bK1');
    assert.equal(v.received, '198.51.100.9');
    assert.equal(v.rport, 40000);
    assert.equal(v.maddr, '239.1.1.1');
    assert.equal(v.params.get('ttl'), '1');
  });

  it('accepts LWS around separators, comma lists and IPv6 with received in both RFC 5118 forms', () => {
    const vs = parseVia(
      'SIP / 2.0 / TCP  [2001:db8::9:1] : 5060 ; branch = a , SIP/2.0/UDP [2001:db8::1];received=[2001:db8::9:255];rport',
    );
    assert.equal(vs.length, 2);
    assert.equal(vs[0]?.port, 5060);
    assert.equal(vs[0]?.hostType, 'ipv6');
    assert.equal(vs[1]?.received, '[2001:db8::9:255]');
    assert.equal(vs[1]?.rport, null);
    assert.equal(
      parseVia('SIP/2.0/UDP [2001:db8::9:1];received=2001:db8::9:255')[0]?.received,
      '2001:db8::9:255',
    );
  });

  it('rejects malformed Via values', () => {
    assert.ok(bad('SIP/2.0/UDP 192.0.2.15;;,;,,'));
    assert.ok(bad('SIP/2.0/UDP'));
    assert.ok(bad('SIP/2.0 UDP host'));
    assert.ok(bad('SIP/2.0/UDPhost'));
    assert.ok(bad('SIP/2.0/UDP host:70000'));
    assert.ok(bad('SIP/2.0/UDP host;received=example.com'));
    assert.ok(bad('SIP/2.0/UDP host;rport=x'));
    assert.ok(bad('SIP/2.0/UDP [2001:db8:::1]'));
    assert.ok(bad('SIP/2.0/UDP host;branch'));
  });
});
