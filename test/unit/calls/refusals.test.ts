import assert from 'node:assert/strict';
import { REFUSALS, refusalFor, sipRefusal } from '../../../agent/src/calls/refusals.js';
import {
  CALLS_ERROR_CODES,
  CallRefusedError,
  CallsError,
  REFUSAL_CODES,
  type RefusalCode,
} from '../../../agent/src/calls/errors.js';
import { CallvaultError } from '../../../agent/src/common/index.js';
import {
  MetadataError,
  MultipartError,
  NoUsableStreamError,
  PortAllocationError,
  SdpError,
  SIPREC_ERROR_CODES,
} from '../../../agent/src/siprec/index.js';
import { MediaPortsExhaustedError } from '../../../agent/src/media/index.js';
import { VaultDiskFullError, VaultWriteFailedError } from '../../../agent/src/vault/index.js';

/** What the SBC and the metrics saw before the table existed: pinned, the SBC's logs quote it. */
const WIRE: Record<
  RefusalCode,
  [status: number, reason: string, headers: [string, string][], label: string | null]
> = {
  shutting_down: [503, 'Service Unavailable', [['Retry-After', '30']], null],
  disk_full: [
    503,
    'Service Unavailable',
    [
      ['Retry-After', '60'],
      ['Warning', '399 callvault "storage full"'],
    ],
    'disk_full',
  ],
  max_calls: [
    503,
    'Service Unavailable',
    [
      ['Retry-After', '5'],
      ['Warning', '399 callvault "at sip.max_calls"'],
    ],
    'max_calls',
  ],
  overload: [
    503,
    'Service Unavailable',
    [
      ['Retry-After', '5'],
      ['Warning', '399 callvault "overloaded"'],
    ],
    'overload',
  ],
  duplicate_call_id: [482, 'Loop Detected', [], 'duplicate_call_id'],
  not_siprec: [
    403,
    'Forbidden',
    [['Warning', '399 callvault "only SIPREC recording sessions are accepted"']],
    'not_siprec',
  ],
  no_sdp: [488, 'Not Acceptable Here', [['Warning', '399 callvault "an SDP offer is required"']], 'no_sdp'],
  bad_body: [
    400,
    'Bad Request',
    [['Warning', '399 callvault "bad multipart body (CV_ERR_MULTIPART_MALFORMED)"']],
    'bad_body',
  ],
  bad_sdp: [400, 'Bad Request', [['Warning', '399 callvault "bad SDP (CV_ERR_SDP_MEDIA)"']], 'bad_sdp'],
  no_usable_stream: [
    488,
    'Not Acceptable Here',
    [['Warning', '304 callvault "no common media format"']],
    'no_usable_stream',
  ],
  ports_exhausted: [503, 'Service Unavailable', [], 'ports_exhausted'],
  outbound_not_recorded: [
    603,
    'Decline',
    [['Warning', '399 callvault "policy does not record outbound calls"']],
    'outbound_not_recorded',
  ],
  internal: [500, 'Server Internal Error', [], 'internal'],
};

const DETAIL: Partial<Record<RefusalCode, string>> = {
  bad_body: 'CV_ERR_MULTIPART_MALFORMED',
  bad_sdp: 'CV_ERR_SDP_MEDIA',
};

describe('calls/refusals', () => {
  it('has one row per refusal code, and nothing else', () => {
    assert.deepEqual(Object.keys(REFUSALS).sort(), [...REFUSAL_CODES].sort());
  });

  for (const code of REFUSAL_CODES) {
    it(`answers ${code} as before: status, reason, Retry-After, Warning and metric label`, () => {
      const [status, reason, headers, label] = WIRE[code];
      assert.deepEqual(sipRefusal(code, DETAIL[code]), { status, reason, headers });
      assert.equal(REFUSALS[code].statsLabel, label);
    });
  }

  it('names the failing check in the Warning only for refusals that carry one', () => {
    assert.deepEqual(sipRefusal('no_sdp', 'CV_ERR_SDP_SYNTAX').headers, WIRE.no_sdp[2]);
    assert.deepEqual(sipRefusal('bad_sdp').headers, [['Warning', '399 callvault "bad SDP"']]);
  });

  it('maps errors thrown during set-up to a refusal by their code', () => {
    const cases: [unknown, RefusalCode][] = [
      [new CallRefusedError('max_calls'), 'max_calls'],
      [new CallRefusedError('outbound_not_recorded'), 'outbound_not_recorded'],
      [new SdpError('CV_ERR_SDP_SYNTAX', 'x'), 'bad_sdp'],
      [new SdpError('CV_ERR_SDP_VERSION', 'x'), 'bad_sdp'],
      [new NoUsableStreamError('x'), 'no_usable_stream'],
      [new MultipartError('CV_ERR_MULTIPART_NO_BOUNDARY', 'x'), 'bad_body'],
      [new MultipartError('CV_ERR_MULTIPART_MALFORMED', 'x'), 'bad_body'],
      [new MediaPortsExhaustedError('x'), 'ports_exhausted'],
      [new VaultDiskFullError('x'), 'disk_full'],
      // A programming error and a vault that cannot write are ours: 500.
      [new PortAllocationError('x'), 'internal'],
      [new VaultWriteFailedError('x'), 'internal'],
      [new MetadataError('CV_ERR_METADATA_MALFORMED', 'x'), 'internal'],
      [new CallvaultError('CV_ERR_SOMETHING_NEW', 'x'), 'internal'],
      [new Error('plain'), 'internal'],
      [null, 'internal'],
      ['a string', 'internal'],
    ];
    for (const [err, want] of cases)
      assert.equal(refusalFor(err), want, String((err as Error)?.message ?? err));
  });

  it('covers every SDP and multipart code siprec/ throws', () => {
    const want: Record<string, RefusalCode> = {};
    for (const [k, code] of Object.entries(SIPREC_ERROR_CODES)) {
      if (k === 'sdpNoUsableStream') want[code] = 'no_usable_stream';
      else if (k === 'sdpPortAllocation' || k.startsWith('metadata')) want[code] = 'internal';
      else if (k.startsWith('sdp')) want[code] = 'bad_sdp';
      else if (k.startsWith('multipart')) want[code] = 'bad_body';
    }
    assert.equal(Object.keys(want).length, Object.keys(SIPREC_ERROR_CODES).length);
    for (const [code, refusal] of Object.entries(want))
      assert.equal(refusalFor(new CallvaultError(code, 'x')), refusal, code);
  });

  it('throws only its own codes: CallRefusedError carries the refusal', () => {
    const err = new CallRefusedError('no_sdp');
    assert.ok(err instanceof CallsError && err instanceof CallvaultError);
    assert.equal(err.code, 'CV_ERR_CALLS_REFUSED');
    assert.ok(CALLS_ERROR_CODES.includes(err.code));
    assert.equal(err.refusal, 'no_sdp');
    assert.equal(err.context.refusal, 'no_sdp');
  });
});
