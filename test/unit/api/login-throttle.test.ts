import assert from 'node:assert/strict';
import { LoginThrottle, sourceKey, WINDOW_MS } from '../../../agent/src/api/login-throttle.js';

describe('api/login-throttle', () => {
  it('reserves before the check: the slots of a burst are taken synchronously', () => {
    let now = 0;
    const t = new LoginThrottle({ perUser: 5, perSource: 100 }, () => now);
    const results = Array.from({ length: 40 }, () => t.reserve('anna', '192.0.2.1'));
    assert.equal(results.filter((r) => r.ok).length, 5, 'five slots, however many arrive at once');
    const refused = results.find((r) => !r.ok);
    assert.ok(refused !== undefined && !refused.ok && refused.retryAfterS === WINDOW_MS / 1000);
    assert.equal(t.reserve('bo', '192.0.2.1').ok, true, 'other users are not affected');
    now += WINDOW_MS + 1;
    assert.equal(t.reserve('anna', '192.0.2.1').ok, true, 'the window passes');
  });

  it('a success clears the user name and refunds the address; failures stay counted', () => {
    const t = new LoginThrottle({ perUser: 2, perSource: 3 });
    const a = t.reserve('anna', '192.0.2.1');
    const b = t.reserve('anna', '192.0.2.1');
    assert.ok(a.ok && b.ok);
    assert.equal(t.reserve('anna', '192.0.2.1').ok, false);
    b.ticket.succeeded();
    assert.equal(t.reserve('anna', '192.0.2.1').ok, true, 'user count cleared');
    assert.equal(t.reserve('bo', '192.0.2.1').ok, true, 'the address got its slot back');
    assert.equal(t.reserve('cy', '192.0.2.1').ok, false, 'address: a, the new anna and bo = 3');
  });

  it('limits one address across user names, IPv6 per /64', () => {
    const t = new LoginThrottle({ perUser: 100, perSource: 3 });
    for (let i = 0; i < 3; i++) assert.equal(t.reserve(`u${i}`, `2001:db8:1:2::${i + 1}`).ok, true);
    assert.equal(t.reserve('u9', '2001:db8:1:2:ffff::9').ok, false, 'same /64');
    assert.equal(t.reserve('u9', '2001:db8:1:3::1').ok, true, 'another /64');
    assert.equal(sourceKey('::ffff:192.0.2.7'), '192.0.2.7');
    assert.equal(sourceKey('2001:0db8:0001:0002:0:0:0:1'), sourceKey('2001:db8:1:2::abcd'));
  });

  it('holds at most maxEntries keys per table, whatever the number of names and addresses', () => {
    const t = new LoginThrottle({ perUser: 5, perSource: 5, maxEntries: 1000 });
    for (let i = 0; i < 100_000; i++)
      t.reserve(`user${i}`, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    assert.ok(t.entries.users <= 1000 && t.entries.sources <= 1000, JSON.stringify(t.entries));
  });
});
