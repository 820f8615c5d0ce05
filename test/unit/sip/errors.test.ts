import assert from 'node:assert/strict';
import { CallvaultError, UserError } from '../../../agent/src/common/index.js';
import {
  SIP_PARSE_REASONS,
  SipBuildError,
  SipClosedError,
  SipConfigError,
  SipParseError,
} from '../../../agent/src/sip/index.js';

describe('sip errors', function () {
  this.timeout(5000);

  it('every error class carries its stable code and extends CallvaultError', () => {
    const table: [CallvaultError, string][] = [
      [new SipParseError('bad-via', 'x', { header: 'via' }), 'CV_ERR_SIP_PARSE'],
      [new SipClosedError('framer'), 'CV_ERR_SIP_CLOSED'],
      [new SipConfigError('sip.udp', 'bad'), 'CV_ERR_SIP_CONFIG'],
      [new SipBuildError('x'), 'CV_ERR_SIP_BUILD'],
    ];
    for (const [err, code] of table) {
      assert.ok(err instanceof CallvaultError);
      assert.equal(err.code, code);
    }
    assert.ok(new SipConfigError('sip.udp', 'bad') instanceof UserError);
  });

  it('parse errors carry a bounded reason in the error and its context', () => {
    const err = new SipParseError('content-length', 'x');
    assert.equal(err.reason, 'content-length');
    assert.equal(err.context['reason'], 'content-length');
    assert.ok(SIP_PARSE_REASONS.includes(err.reason));
    assert.equal(new Set(SIP_PARSE_REASONS).size, SIP_PARSE_REASONS.length);
  });
});
