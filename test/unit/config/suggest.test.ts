import assert from 'node:assert/strict';
import { editDistance, nearest } from '../../../agent/src/config/suggest.js';

describe('config/suggest', () => {
  it('counts a swap of two neighbours as one edit (Damerau)', () => {
    assert.equal(editDistance('recordigns', 'recordings'), 1);
    assert.equal(editDistance('outptu', 'output'), 1);
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('same', 'same'), 0);
  });

  it('nearest stays within its limit: one edit per three letters, capped by maxDistance', () => {
    assert.equal(nearest('recordigns', ['recordings', 'retention']), 'recordings');
    assert.equal(nearest('lsit', ['list', 'show']), 'list');
    assert.equal(nearest('frobnicate', ['recordings', 'export']), undefined);
    // Three edits fit "one per three letters" of a 10-letter word, but not a cap of two.
    assert.equal(nearest('recxxxings', ['recordings']), 'recordings');
    assert.equal(nearest('recxxxings', ['recordings'], 2), undefined);
  });
});
