import assert from 'node:assert/strict';
import {
  isAnonymousUri,
  parseNameAddrs,
  participantsFromHeaders,
  privacyHidesIdentity,
  uriUser,
} from '../../../agent/src/siprec/index.js';

describe('siprec/identity', function () {
  this.timeout(2000);

  it('parses name-addr and addr-spec values, several per header', () => {
    assert.deepEqual(parseNameAddrs('"Doe, \\"JD\\" John" <sip:+4670123@sbc;user=phone>;tag=1'), [
      { displayName: 'Doe, "JD" John', uri: 'sip:+4670123@sbc;user=phone' },
    ]);
    assert.deepEqual(parseNameAddrs('sip:7300@pbx;tag=9'), [{ displayName: null, uri: 'sip:7300@pbx' }]);
    assert.deepEqual(
      parseNameAddrs('<sip:+4681234@carrier>, <tel:+4681234>').map((a) => a.uri),
      ['sip:+4681234@carrier', 'tel:+4681234'],
    );
    assert.deepEqual(parseNameAddrs(''), []);
    assert.deepEqual(parseNameAddrs('"broken <sip:x@y'), []);
  });

  it('extracts URI user parts', () => {
    assert.equal(uriUser('sip:+4681234%2099@host;user=phone'), '+4681234 99');
    assert.equal(uriUser('sips:alice:secret@host'), 'alice');
    assert.equal(uriUser('tel:+4681234;phone-context=x'), '+4681234');
    assert.equal(uriUser('2249888500@172.16.198.55'), '2249888500');
    assert.equal(uriUser('sip:host.example'), null);
    assert.equal(uriUser('sip:100%@host'), '100%');
  });

  it('recognises anonymous identities and hiding Privacy values', () => {
    assert.equal(isAnonymousUri('sip:anonymous@anonymous.invalid'), true);
    assert.equal(isAnonymousUri('sip:Restricted@10.0.0.1'), true);
    assert.equal(isAnonymousUri('sip:NOCALLERID@10.106.2.10'), true);
    assert.equal(isAnonymousUri('sip:+4670@x'), false);
    assert.equal(privacyHidesIdentity('id'), true);
    assert.equal(privacyHidesIdentity('header;critical'), true);
    assert.equal(privacyHidesIdentity('none'), false);
    assert.equal(privacyHidesIdentity(null), false);
  });

  it('caller and callee from From/To, the number from P-Asserted-Identity', () => {
    const [caller, callee] = participantsFromHeaders(
      '"Anna Andersson" <sip:anna@sbc>;tag=1',
      '<sip:+46812345600@sbc>',
      '<sip:+46701234567@carrier;user=phone>, <tel:+46701234567>',
      null,
    );
    assert.deepEqual(caller, {
      id: 'caller',
      name: 'Anna Andersson',
      number: '+46701234567',
      aor: 'sip:+46701234567@carrier;user=phone',
      withheld: false,
      side: 'unknown',
      role: 'caller',
    });
    assert.equal(callee?.number, '+46812345600');
    assert.equal(callee?.role, 'callee');
  });

  it('Privacy: id withholds the caller even when the PAI carries the number', () => {
    const [caller] = participantsFromHeaders(
      '"Secret" <sip:+46709876543@sbc>',
      '<sip:+4681234@sbc>',
      '<sip:+46709876543@carrier>',
      'id',
    );
    assert.deepEqual(caller, {
      id: 'caller',
      name: null,
      number: null,
      aor: null,
      withheld: true,
      side: 'unknown',
      role: 'caller',
    });
  });

  it('an anonymous From withholds the caller without a Privacy header', () => {
    const [caller] = participantsFromHeaders(
      '"Anonymous" <sip:anonymous@anonymous.invalid>',
      '<sip:+4681234@sbc>',
      '<sip:+46709876543@carrier>',
    );
    assert.equal(caller?.withheld, true);
    assert.equal(caller?.number, null);
  });

  it('a display name that only repeats the number is not kept as a name', () => {
    const [caller] = participantsFromHeaders('"+46 70 123 45 67" <sip:+46701234567@sbc>', '<sip:x@y>');
    assert.equal(caller?.name, null);
    assert.equal(caller?.number, '+46701234567');
  });

  it('missing headers give participants with nothing known, never a throw', () => {
    const [caller, callee] = participantsFromHeaders(undefined, null);
    assert.equal(caller?.aor, null);
    assert.equal(callee?.number, null);
  });
});
