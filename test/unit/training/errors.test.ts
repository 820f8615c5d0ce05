/** training/errors.ts: one table test over every error class: code, base class, exit code. */
import assert from 'node:assert/strict';
import { CallvaultError, exitCodeFor } from '../../../agent/src/common/index.js';
import * as E from '../../../agent/src/training/errors.js';

describe('training/errors', () => {
  it('every class has its stable code and exit class', () => {
    const table: [CallvaultError, string, number][] = [
      [new E.TrainingInProgressError('r1'), 'CV_ERR_TRAINING_IN_PROGRESS', 1],
      [new E.TrainingNoAudioError('r1'), 'CV_ERR_TRAINING_NO_AUDIO', 1],
      [new E.TrainingTooLongError('r1', 2, 1), 'CV_ERR_TRAINING_TOO_LONG', 1],
    ];
    const classes = Object.values(E).filter((v) => typeof v === 'function');
    assert.equal(table.length, classes.length, 'the table covers every exported class');
    assert.deepEqual(Object.values(E.TRAINING_ERROR_CODES).sort(), table.map((t) => t[1]).sort());
    for (const [err, code, exit] of table) {
      assert.ok(err instanceof CallvaultError);
      assert.equal(err.code, code);
      assert.equal(exitCodeFor(err), exit, code);
    }
  });
});
