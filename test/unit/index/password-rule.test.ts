import assert from 'node:assert/strict';
import { assertPasswordAllowed, passwordProblem } from '../../../agent/src/index/password-rule.js';

describe('index/password-rule', () => {
  it('refuses short, blank, repeated, common and name-based passwords', () => {
    for (const [pw, name] of [
      ['short', 'anna'],
      ['          ', 'anna'],
      ['\u00a0'.repeat(12), 'anna'],
      ['aaaaaaaaaa', 'anna'],
      ['abcabcabcabc', 'anna'],
      ['1212121212', 'anna'],
      ['qwertyuiop', 'anna'],
      ['password123!', 'anna'],
      ['Dragon2024!!', 'anna'],
      ['1234567890', 'anna'],
      ['administrator', 'bo'],
      ['ada-admin-1', 'ada-admin'],
      ['ada-admin', 'ada-admin'],
      ['Anna12345678', 'anna'],
    ]) {
      assert.notEqual(passwordProblem(pw!, name!), null, `${JSON.stringify(pw)} for ${name}`);
    }
  });

  it('accepts long passphrases without composition rules', () => {
    for (const [pw, name] of [
      ['correct horse battery', 'anna'],
      ['sam-long-password', 'sam'],
      ['gräddfil på tisdag', 'bo'],
      ['sunshine over the hills', 'anna'],
    ]) {
      assert.equal(passwordProblem(pw!, name!), null, pw);
    }
  });

  it('throws CV_ERR_INDEX_WEAK_PASSWORD', () => {
    assert.throws(() => assertPasswordAllowed('aaaaaaaaaa', 'anna'), { code: 'CV_ERR_INDEX_WEAK_PASSWORD' });
  });
});
