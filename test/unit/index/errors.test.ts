/** errors.ts: one table test over every error class: code, base class, exit code. */
import assert from 'node:assert/strict';
import { CallvaultError, exitCodeFor } from '../../../agent/src/common/index.js';
import * as E from '../../../agent/src/index/errors.js';

describe('index/errors', () => {
  it('every class has its stable code and exit class', () => {
    const table: [CallvaultError, string, number][] = [
      [new E.IndexCorruptError('x'), 'CV_ERR_INDEX_CORRUPT', 2],
      [new E.IndexDecryptError('r1'), 'CV_ERR_INDEX_DECRYPT', 2],
      [new E.IndexAuditTamperedError(3), 'CV_ERR_INDEX_AUDIT_TAMPERED', 2],
      [new E.IndexClosedError(), 'CV_ERR_INDEX_CLOSED', 3],
      [new E.IndexIoError('x'), 'CV_ERR_INDEX_IO', 3],
      [new E.IndexLockedError('/d'), 'CV_ERR_INDEX_LOCKED', 1],
      [new E.IndexSchemaError('x'), 'CV_ERR_INDEX_SCHEMA', 1],
      [new E.IndexBadKeyError('fieldKey'), 'CV_ERR_INDEX_BAD_KEY', 1],
      [new E.IndexBadQueryError('limit', 'x'), 'CV_ERR_INDEX_BAD_QUERY', 1],
      [new E.IndexBadRecordError('id', 'x'), 'CV_ERR_INDEX_BAD_RECORD', 1],
      [new E.IndexNotFoundError('user', 'u'), 'CV_ERR_INDEX_NOT_FOUND', 1],
      [new E.IndexBadUserError('role', 'x'), 'CV_ERR_INDEX_BAD_USER', 1],
      [new E.IndexBadAuditError('action', 'x'), 'CV_ERR_INDEX_BAD_AUDIT', 1],
      [new E.IndexWeakPasswordError('x'), 'CV_ERR_INDEX_WEAK_PASSWORD', 1],
      [new E.IndexUserExistsError('u'), 'CV_ERR_INDEX_USER_EXISTS', 1],
    ];
    assert.equal(table.length, Object.keys(E).length, 'the table covers every exported class');
    for (const [err, code, exit] of table) {
      assert.ok(err instanceof CallvaultError);
      assert.equal(err.code, code);
      assert.equal(exitCodeFor(err), exit, code);
    }
    assert.equal(new E.IndexBadQueryError('cursor', 'x').context.param, 'cursor');
    assert.ok(new E.IndexCorruptError('x').message.includes('callvaultctl index rebuild'));
  });
});
