import assert from 'node:assert/strict';
import { lookupService, resolveService } from '../../../agent/src/session/index.js';
import { participant, sessionInfo } from './helpers.js';

const map = {
  '+46812345600': 'Kundtjänst',
  '+4681234*': 'Växel',
  '+46812345*': 'Felanmälan',
  '0201234': 'Avfall',
};

describe('session/service', function () {
  this.timeout(2000);

  it('an exact number beats any prefix; the longest prefix wins otherwise', () => {
    assert.equal(lookupService('+46812345600', map), 'Kundtjänst');
    assert.equal(lookupService('+46812345699', map), 'Felanmälan');
    assert.equal(lookupService('+46812340000', map), 'Växel');
    assert.equal(lookupService('+4670', map), null);
  });

  it('normalises separators and the 00 international prefix on both sides', () => {
    assert.equal(lookupService('0046 8 123 456 00', map), 'Kundtjänst');
    assert.equal(lookupService('020-1234', map), 'Avfall');
  });

  it('uses the dialled number first', () => {
    const info = sessionInfo({ dialledNumber: '+46812345600' });
    assert.equal(resolveService(info, map), 'Kundtjänst');
  });

  it('keeps a service the metadata already set', () => {
    assert.equal(
      resolveService(sessionInfo({ service: 'Från SBC', dialledNumber: '+46812345600' }), map),
      'Från SBC',
    );
  });

  it('inbound without DNIS: the callee number; outbound: the caller line', () => {
    const people = [
      participant({ id: 'c', role: 'caller', number: '0201234' }),
      participant({ id: 'a', role: 'callee', number: '+46812345600' }),
    ];
    const base = { participants: people, customerParticipantId: null, agentParticipantId: null, streams: [] };
    assert.equal(resolveService(sessionInfo({ ...base, direction: 'inbound' }), map), 'Kundtjänst');
    assert.equal(resolveService(sessionInfo({ ...base, direction: 'outbound' }), map), 'Avfall');
    assert.equal(resolveService(sessionInfo({ ...base, direction: 'unknown' }), map), null);
  });
});
