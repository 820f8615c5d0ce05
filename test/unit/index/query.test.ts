/** query.ts: parameter validation (CV_ERR_INDEX_BAD_QUERY naming the parameter) and cursors. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { encodeCursor, normaliseQuery } from '../../../agent/src/index/query.js';
import type { SearchQuery } from '../../../agent/src/index/index.js';

const key = randomBytes(32);

function badParam(q: unknown, param: string): void {
  assert.throws(
    () => normaliseQuery(q as SearchQuery, key),
    (err: { code: string; context: { param: string } }) => {
      assert.equal(err.code, 'CV_ERR_INDEX_BAD_QUERY');
      assert.equal(err.context.param, param);
      return true;
    },
    JSON.stringify(q),
  );
}

describe('index/query', () => {
  it('names the parameter of every invalid value', () => {
    badParam({ from: 'yesterday' }, 'from');
    badParam({ to: '2024-13-45T00:00:00Z' }, 'to');
    badParam({ from: '2024-02-01T00:00:00Z', to: '2024-01-01T00:00:00Z' }, 'from');
    badParam({ expiresBefore: 12 }, 'expiresBefore');
    badParam({ limit: 0 }, 'limit');
    badParam({ limit: 1001 }, 'limit');
    badParam({ limit: 2.5 }, 'limit');
    badParam({ cursor: '!!!' }, 'cursor');
    badParam({ cursor: Buffer.from('{"v":1}').toString('base64url') }, 'cursor');
    badParam({ cursor: 'bm90IGpzb24' }, 'cursor');
    badParam({ number: 'anonymous' }, 'number');
    badParam({ agent: '' }, 'agent');
    badParam({ direction: 'up' }, 'direction');
    badParam({ order: 'random' }, 'order');
    badParam({ numbr: '+46701234567' }, 'numbr');
  });

  it('accepts a valid query and applies defaults', () => {
    const q = normaliseQuery(
      { number: 'tel:+46 70 123 45 67', from: '2024-01-01', to: '2024-02-01T00:00:00Z' },
      key,
    );
    assert.equal(q.limit, 100);
    assert.equal(q.order, 'desc');
    assert.equal(q.fromMs, Date.parse('2024-01-01T00:00:00Z'));
    assert.equal(q.numberBlind, normaliseQuery({ number: '+46701234567' }, key).numberBlind);
  });

  it('round-trips a cursor and refuses it for another query or order', () => {
    const q = normaliseQuery({ agent: '2001', order: 'asc' }, key);
    const cursor = encodeCursor('018d0c2a5b00!rec-1', q);
    assert.equal(normaliseQuery({ agent: '2001', order: 'asc', cursor }, key).after, '018d0c2a5b00!rec-1');
    badParam({ agent: '2002', order: 'asc', cursor }, 'cursor');
    badParam({ agent: '2001', order: 'desc', cursor }, 'cursor');
  });
});
