/** field-crypto.ts: sealed personal fields and the blind-token memo. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { blind, cachedBlinder, openFields, sealFields } from '../../../agent/src/index/field-crypto.js';

describe('index/field-crypto', () => {
  it('sealFields round-trips, never repeats a nonce, and binds the blob to the id', () => {
    const key = randomBytes(32);
    const plain = { number: '+46701234567', agent: '2001', participants: [{ name: 'Åsa' }] };
    const nonces = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const sealed = sealFields(key, `r${i}`, plain);
      nonces.add(Buffer.from(sealed, 'base64').subarray(0, 12).toString('hex'));
      if (i % 500 === 0) assert.deepEqual(openFields(key, `r${i}`, sealed), plain);
    }
    assert.equal(nonces.size, 3000);
    const sealed = sealFields(key, 'a', plain);
    assert.equal(Buffer.from(sealed, 'base64').toString('latin1').includes('+46701234567'), false);
    assert.throws(() => openFields(key, 'b', sealed));
    assert.throws(() => openFields(randomBytes(32), 'a', sealed));
  });

  it('cachedBlinder gives blind() tokens across generation turnover', () => {
    const key = randomBytes(32);
    const b = cachedBlinder(key, 8);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 40; i++) {
        assert.equal(b('number', `+4670${i}`), blind(key, 'number', `+4670${i}`));
        // A value asked for all the time stays right whatever else passes through.
        assert.equal(b('agent', '2001'), blind(key, 'agent', '2001'));
      }
    }
    assert.notEqual(b('agent', '2001'), b('number', '2001'));
  });
});
