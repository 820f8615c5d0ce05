/** errors.ts: one table test over every error class: code, base class, exit code. */
import assert from 'node:assert/strict';
import { CallvaultError, exitCodeFor } from '../../../agent/src/common/index.js';
import * as E from '../../../agent/src/retention/errors.js';

describe('retention/errors', () => {
  it('every class has its stable code and exit class', () => {
    const table: [CallvaultError, string, number][] = [
      [new E.RetentionNotFoundError('recording', 'r1'), 'CV_ERR_RETENTION_NOT_FOUND', 1],
      [new E.LegalHoldError('r1', 'erasure'), 'CV_ERR_RETENTION_LEGAL_HOLD', 1],
      [new E.RestrictedError('r1', 'erasure'), 'CV_ERR_RETENTION_RESTRICTED', 1],
      [new E.BadFieldError('number', 'x'), 'CV_ERR_RETENTION_BAD_FIELD', 1],
      [new E.FutureRunError('2030-01-01T00:00:00.000Z'), 'CV_ERR_RETENTION_FUTURE_RUN', 1],
      [new E.GrantPastError('2020-01-01T00:00:00.000Z'), 'CV_ERR_RETENTION_GRANT_PAST', 1],
      [new E.GrantUserError('no account'), 'CV_ERR_RETENTION_GRANT_USER', 1],
      [new E.GrantRoleError('agent'), 'CV_ERR_RETENTION_GRANT_ROLE', 1],
      [new E.GrantNotFoundError(), 'CV_ERR_RETENTION_GRANT_NOT_FOUND', 1],
    ];
    const classes = Object.values(E).filter((v) => typeof v === 'function');
    assert.equal(table.length, classes.length, 'the table covers every exported class');
    assert.deepEqual(Object.values(E.RETENTION_ERROR_CODES).sort(), table.map((t) => t[1]).sort());
    for (const [err, code, exit] of table) {
      assert.ok(err instanceof CallvaultError);
      assert.equal(err.code, code);
      assert.equal(exitCodeFor(err), exit, code);
    }
  });
});
