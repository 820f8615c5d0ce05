import assert from 'node:assert/strict';
import { CallvaultError, UserError } from '../../../agent/src/common/index.js';
import {
  MediaBindError,
  MediaClosedError,
  MediaConfigError,
  MediaPortsExhaustedError,
  MediaUnknownStreamError,
} from '../../../agent/src/media/index.js';

describe('media/errors', () => {
  it('every media error carries its stable code and class', () => {
    const table: [CallvaultError, string, boolean][] = [
      [new MediaConfigError('x'), 'CV_ERR_MEDIA_CONFIG', true],
      [new MediaPortsExhaustedError('x'), 'CV_ERR_MEDIA_PORTS_EXHAUSTED', false],
      [new MediaBindError('x'), 'CV_ERR_MEDIA_BIND', false],
      [new MediaClosedError('x'), 'CV_ERR_MEDIA_CLOSED', false],
      [new MediaUnknownStreamError('x'), 'CV_ERR_MEDIA_UNKNOWN_STREAM', false],
    ];
    for (const [err, code, isUser] of table) {
      assert.ok(err instanceof CallvaultError);
      assert.equal(err.code, code);
      assert.equal(err instanceof UserError, isUser, code);
    }
  });
});
