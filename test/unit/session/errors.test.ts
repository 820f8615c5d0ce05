import assert from 'node:assert/strict';
import { CallvaultError, UserError } from '../../../agent/src/common/index.js';
import { SessionEndedError, SessionInvalidError } from '../../../agent/src/session/index.js';

describe('session/errors', function () {
  this.timeout(2000);

  it('every class carries its stable code and base class', () => {
    const table: [CallvaultError, string, boolean][] = [
      [new SessionEndedError('x'), 'CV_ERR_SESSION_ENDED', false],
      [new SessionInvalidError('x'), 'CV_ERR_SESSION_INVALID', true],
    ];
    for (const [err, code, isUser] of table) {
      assert.equal(err.code, code);
      assert.ok(err instanceof CallvaultError);
      assert.equal(err instanceof UserError, isUser, code);
      assert.match(code, /^CV_ERR_SESSION_[A-Z_]+$/);
    }
  });
});
