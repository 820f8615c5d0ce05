import assert from 'node:assert/strict';
import { escapeControl, safeJson, visibleLength } from '../../../agent/src/common/text.js';

describe('common/text', () => {
  it('counts only what a reader can see', () => {
    assert.equal(visibleLength('INC-1'), 5);
    assert.equal(visibleLength('  ab  '), 2);
    // Spaces of other scripts, zero-width and format characters, fillers: none of them shows.
    assert.equal(visibleLength('\u00a0\u2003\u3000\u200b\u200d\ufeff\u2800\u3164\u115f\u202e\t\n'), 0);
    assert.equal(visibleLength('\u0301\u0301\u0301\u0301\u0301'), 0, 'combining marks alone');
    assert.equal(visibleLength('e\u0301t\u00e9'), 3);
    assert.equal(visibleLength('ärende 42'), 8);
  });

  it('escapes controls, separators, bidi overrides and the backslash', () => {
    assert.equal(escapeControl('ok text'), 'ok text');
    assert.equal(escapeControl('a\nb\r\0\x1b[2J'), 'a\\x0ab\\x0d\\x00\\x1b[2J');
    assert.equal(escapeControl('\x7f\x9b'), '\\x7f\\x9b');
    assert.equal(escapeControl('x\u2028\u202ey'), 'x\\u{2028}\\u{202e}y');
    assert.equal(escapeControl('C:\\x0a'), 'C:\\\\x0a', 'a typed escape stays distinguishable');
    assert.equal(escapeControl('Åsa Öberg'), 'Åsa Öberg');
  });

  it('gives JSON that parses to the same value and holds no raw control character', () => {
    const value = { reason: 'a\nb\x1b\x85\u2028\u202e', name: 'Åsa' };
    const text = safeJson(value);
    assert.deepEqual(JSON.parse(text), value);
    // eslint-disable-next-line no-control-regex -- control characters are what this looks for
    assert.doesNotMatch(text.replace(/\n {0,2}/g, ''), /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202e]/);
  });
});
