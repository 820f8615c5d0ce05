import assert from 'node:assert/strict';
import { parseUri } from '../../../agent/src/sip/index.js';
import { refusedAs } from './helpers.js';

const badUri = (text: string): boolean => refusedAs('bad-uri', () => parseUri(text));

describe('sip uri', function () {
  this.timeout(5000);

  it('parses user, password, host, port, params and headers', () => {
    const u = parseUri('sips:alice:secret@pbx.example.com:5061;transport=tls;LR?Subject=hi&Priority=urgent');
    assert.equal(u.kind, 'sip');
    if (u.kind !== 'sip') return;
    assert.equal(u.scheme, 'sips');
    assert.equal(u.user, 'alice');
    assert.equal(u.password, 'secret');
    assert.equal(u.host, 'pbx.example.com');
    assert.equal(u.hostType, 'name');
    assert.equal(u.port, 5061);
    assert.equal(u.params.get('transport'), 'tls');
    assert.equal(u.params.get('lr'), null);
    assert.equal(u.headers, 'Subject=hi&Priority=urgent');
  });

  it('handles IPv6 references and IPv4-mapped addresses (RFC 5118)', () => {
    const a = parseUri('sip:[2001:db8::10]:5070');
    assert.equal(a.kind === 'sip' && a.hostType, 'ipv6');
    assert.equal(a.kind === 'sip' && a.port, 5070);
    const b = parseUri('sip:ted@[::ffff:192.0.2.2]');
    assert.equal(b.kind === 'sip' && b.host, '[::ffff:192.0.2.2]');
    assert.ok(badUri('sip:user@[2001:db8:::192.0.2.1]'));
    assert.ok(badUri('sip:2001:db8::10'));
    assert.ok(badUri('sip:[::1'));
  });

  it('keeps other schemes opaque and rejects what is not a URI', () => {
    assert.deepEqual(parseUri('tel:+46812345678'), { kind: 'other', scheme: 'tel', opaque: '+46812345678' });
    assert.ok(badUri('<sip:a@b>'));
    assert.ok(badUri('sip:'));
    assert.ok(badUri('sip:a b@c'));
    assert.ok(badUri('sip:a@host:99999'));
    assert.ok(badUri('sip:a@host:'));
    assert.ok(badUri('sip:a%zz@host'));
    assert.ok(badUri('sip:a@-host'));
    assert.ok(badUri('sip:a@256.1.1.1'));
    assert.ok(badUri('nocolon'));
  });

  it('accepts the RFC 4475 unusual user parts', () => {
    const u = parseUri(
      "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
    );
    assert.equal(u.kind === 'sip' && u.host, 'example.com');
    assert.equal(u.kind === 'sip' && u.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  });
});
