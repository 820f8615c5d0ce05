import assert from 'node:assert/strict';
import { cleanText, visibleChars } from '../../../agent/src/api/access.js';
import { parseRange } from '../../../agent/src/api/audio.js';

describe('api/access', () => {
  it('escapes control and format characters and bounds the length', () => {
    assert.equal(cleanText('a\nb\u0000c\u001b[31m', 100), 'a\\u000ab\\u0000c\\u001b[31m');
    assert.equal(cleanText('\u202eevil', 100), '\\u202eevil');
    assert.equal([...cleanText('ä'.repeat(1000), 500)].length, 500);
    assert.ok(!/\p{Cc}/u.test(cleanText('x\r\ny\t', 100)));
  });

  it('counts only visible characters towards a reason', () => {
    assert.equal(visibleChars('     '), 0);
    assert.equal(visibleChars('\u2003\u2003\u200b\u200b\u00a0'), 0);
    assert.equal(visibleChars('T-123'), 5);
    assert.equal(visibleChars('ärende 7'), 7);
  });

  it('parses one bounded Range; absurd ones are 416', () => {
    assert.deepEqual(parseRange('bytes=0-99', 1000), { start: 0, end: 99 });
    assert.deepEqual(parseRange('bytes=-10', 1000), { start: 990, end: 999 });
    assert.throws(() => parseRange(`bytes=0-${'9'.repeat(40)}`, 1000), { status: 416 });
    assert.throws(() => parseRange('bytes=2000-', 1000), { status: 416 });
  });
});
