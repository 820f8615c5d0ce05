import assert from 'node:assert/strict';
import { CallvaultError, UserError } from '../../../agent/src/common/index.js';
import {
  MetadataError,
  MultipartError,
  NoUsableStreamError,
  PortAllocationError,
  SdpError,
  SIPREC_ERROR_CODES,
} from '../../../agent/src/siprec/index.js';

describe('siprec/errors', function () {
  this.timeout(2000);

  it('every class carries its stable code and base class', () => {
    const table: [CallvaultError, string, boolean][] = [
      [new SdpError('CV_ERR_SDP_SYNTAX', 'x', { context: { line: 3 } }), SIPREC_ERROR_CODES.sdpSyntax, true],
      [new NoUsableStreamError('x'), SIPREC_ERROR_CODES.sdpNoUsableStream, true],
      [new MultipartError('CV_ERR_MULTIPART_MALFORMED', 'x'), SIPREC_ERROR_CODES.multipartMalformed, true],
      [new MetadataError('CV_ERR_METADATA_DTD_FORBIDDEN', 'x'), SIPREC_ERROR_CODES.metadataDtd, true],
      [new PortAllocationError('x'), SIPREC_ERROR_CODES.sdpPortAllocation, false],
    ];
    for (const [err, code, isUser] of table) {
      assert.equal(err.code, code);
      assert.ok(err instanceof CallvaultError, code);
      assert.equal(err instanceof UserError, isUser, code);
    }
  });

  it('the code table has unique, well-formed codes', () => {
    const codes = Object.values(SIPREC_ERROR_CODES);
    assert.equal(new Set(codes).size, codes.length);
    for (const c of codes) assert.match(c, /^CV_ERR_(SDP|MULTIPART|METADATA)_[A-Z_]+$/);
  });

  it('SdpError keeps the line number in its context', () => {
    assert.equal(new SdpError('CV_ERR_SDP_MEDIA', 'x', { context: { line: 7 } }).context['line'], 7);
  });
});
