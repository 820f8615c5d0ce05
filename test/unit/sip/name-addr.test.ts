import assert from 'node:assert/strict';
import { parseNameAddr } from '../../../agent/src/sip/index.js';
import { refusedAs } from './helpers.js';

const bad = (value: string): boolean => refusedAs('bad-name-addr', () => parseNameAddr(value));

describe('sip name-addr', function () {
  this.timeout(5000);

  it('parses quoted and token display names with parameters', () => {
    const a = parseNameAddr('"Agent \\"007\\"" <sip:2001@pbx.example.com>;tag=abc ; expires = 60');
    assert.equal(a.displayName, 'Agent "007"');
    assert.equal(a.uri, 'sip:2001@pbx.example.com');
    assert.equal(a.tag, 'abc');
    assert.equal(a.params.get('expires'), '60');
    const b = parseNameAddr('Kund Kundsson <tel:+46812345678>');
    assert.equal(b.displayName, 'Kund Kundsson');
    assert.equal(b.parsedUri.scheme, 'tel');
  });

  it('gives addr-spec parameters to the header, not the URI', () => {
    const a = parseNameAddr('sip:alice@example.com;tag=1;user=phone');
    assert.equal(a.uri, 'sip:alice@example.com');
    assert.equal(a.tag, '1');
    assert.equal(a.params.get('user'), 'phone');
  });

  it('rejects the RFC 4475 malformed forms', () => {
    assert.ok(bad('"Mr. J. User <sip:j.user@example.com>'));
    assert.ok(bad('"Watson, Thomas" < sip:t.watson@example.org >'));
    assert.ok(bad('Bell, Alexander <sip:a.g.bell@example.com>;tag=43'));
    assert.ok(bad('sip:user@example.com?Route=%3Csip:sip.example.com%3E'));
    assert.ok(bad('"Joe" <sip:joe@example.org>;;;;'));
    assert.ok(bad('<sip:a@b>;tag'));
    assert.ok(bad('<sip:a@b'));
    assert.ok(bad(''));
  });
});
