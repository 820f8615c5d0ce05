/** control/errors.ts: one table test over every error class: code, base class, exit code. */
import assert from 'node:assert/strict';
import { CallvaultError, exitCodeFor } from '../../../agent/src/common/index.js';
import * as E from '../../../agent/src/control/errors.js';

describe('control/errors', () => {
  it('every class has its stable code and exit class', () => {
    const table: [CallvaultError, string, number][] = [
      [new E.ControlProtocolError('x'), 'CV_ERR_CONTROL_PROTOCOL', 3],
      [new E.UnknownCommandError('x'), 'CV_ERR_CONTROL_UNKNOWN_COMMAND', 1],
      [new E.ControlDisconnectedError(), 'CV_ERR_CONTROL_DISCONNECTED', 3],
      [new E.ControlPeerUnknownError('EBADF'), 'CV_ERR_CONTROL_PEER_UNKNOWN', 3],
      [new E.ControlAccessError('/s'), 'CV_ERR_CONTROL_ACCESS', 1],
      [new E.ReasonRequiredError(5), 'CV_ERR_CONTROL_REASON_REQUIRED', 1],
      [new E.RecordingRestrictedError('r1'), 'CV_ERR_CONTROL_RESTRICTED', 1],
      [new E.ControlTimeoutError('verify', 2000), 'CV_ERR_CONTROL_TIMEOUT', 3],
      [new E.ControlExpiredError('users.add'), 'CV_ERR_CONTROL_EXPIRED', 3],
    ];
    const classes = Object.values(E).filter((v) => typeof v === 'function' && v !== E.remoteError);
    assert.equal(table.length, classes.length, 'the table covers every exported class');
    for (const [err, code, exit] of table) {
      assert.ok(err instanceof CallvaultError);
      assert.equal(err.code, code);
      assert.equal(exitCodeFor(err), exit, code);
    }
    assert.equal(new E.ReasonRequiredError(5).context.key, 'reason');
    assert.equal(new E.RecordingRestrictedError('r1').context.recordingId, 'r1');
  });
});
