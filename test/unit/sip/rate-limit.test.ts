import assert from 'node:assert/strict';
import { LogLimiter, SourceRateLimiter } from '../../../agent/src/sip/rate-limit.js';

describe('sip rate limit', function () {
  this.timeout(5000);

  it('allows a burst of one second, then refills at the rate, per source', () => {
    const r = new SourceRateLimiter(10);
    let allowed = 0;
    for (let i = 0; i < 25; i++) if (r.allow('a', 0)) allowed++;
    assert.equal(allowed, 10);
    assert.equal(r.allow('b', 0), true);
    assert.equal(r.allow('a', 50), false);
    assert.equal(r.allow('a', 150), true);
  });

  it('bounds its memory under many sources', () => {
    const r = new SourceRateLimiter(5, 100);
    for (let i = 0; i < 1000; i++) r.allow(`s${i}`, i);
    assert.ok(r.size <= 100);
    r.prune(1_000_000);
    assert.equal(r.size, 0);
  });

  it('limits log lines per second and reports what it suppressed', () => {
    const l = new LogLimiter(2);
    assert.deepEqual([l.take(0), l.take(1), l.take(2), l.take(3)], [0, 0, -1, -1]);
    assert.equal(l.take(1000), 2);
  });
});
