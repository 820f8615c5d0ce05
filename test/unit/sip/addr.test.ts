import assert from 'node:assert/strict';
import {
  SipConfigError,
  makeTrustList,
  parseListen,
  parseVia,
  responseDestination,
} from '../../../agent/src/sip/index.js';

describe('sip addr', function () {
  this.timeout(5000);

  it('parses listen specs and refuses anything else with the key named', () => {
    assert.deepEqual(parseListen('sip.udp', '127.0.0.1:5060'), { host: '127.0.0.1', port: 5060, family: 4 });
    assert.deepEqual(parseListen('sip.tcp', '[::1]:0'), { host: '::1', port: 0, family: 6 });
    assert.equal(parseListen('sip.tls', 'off'), undefined);
    assert.equal(parseListen('sip.tls', undefined), undefined);
    for (const bad of ['localhost:5060', '127.0.0.1', '::1:5060', '127.0.0.1:70000', '300.1.1.1:1']) {
      assert.throws(
        () => parseListen('sip.udp', bad),
        (e: unknown) => e instanceof SipConfigError && e.context['key'] === 'sip.udp',
      );
    }
  });

  it('matches trusted addresses and CIDRs for both families', () => {
    const trusted = makeTrustList(['192.0.2.0/24', '198.51.100.7', '2001:db8::/32']);
    assert.equal(trusted('192.0.2.200'), true);
    assert.equal(trusted('192.0.3.1'), false);
    assert.equal(trusted('198.51.100.7'), true);
    assert.equal(trusted('2001:db8::1'), true);
    assert.equal(trusted('2001:db9::1'), false);
    assert.equal(trusted('not-an-ip'), false);
    assert.equal(makeTrustList([])('127.0.0.1'), false);
    assert.throws(() => makeTrustList(['example.com']), SipConfigError);
    assert.throws(() => makeTrustList(['10.0.0.0/33']), SipConfigError);
  });

  it('routes responses to the packet source, never to Via hosts or multicast', () => {
    const src = { address: '127.0.0.1', port: 40000 };
    const [withRport] = parseVia('SIP/2.0/UDP 203.0.113.5:5070;branch=z9hG4bK1;rport;received=198.51.100.1');
    const [plain] = parseVia('SIP/2.0/UDP 203.0.113.5:5070;branch=z9hG4bK1');
    const [noPort] = parseVia('SIP/2.0/UDP 203.0.113.5;branch=z9hG4bK1');
    const [multicast] = parseVia('SIP/2.0/UDP 203.0.113.5;branch=z9hG4bK1;maddr=224.2.0.1;ttl=16');
    assert.ok(withRport && plain && noPort && multicast);
    assert.deepEqual(responseDestination(withRport, src), { address: '127.0.0.1', port: 40000 });
    assert.deepEqual(responseDestination(plain, src), { address: '127.0.0.1', port: 5070 });
    assert.deepEqual(responseDestination(noPort, src), { address: '127.0.0.1', port: 5060 });
    assert.deepEqual(responseDestination(plain, src, true), { address: '127.0.0.1', port: 40000 });
    assert.equal(responseDestination(multicast, src), undefined);
  });
});
