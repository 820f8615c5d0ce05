/**
 * The calls/ error table. Two closed lists: the codes this folder throws, and why a call is
 * refused (bounded, so each is safe as a metrics label and as a key of the refusal table in
 * refusals.ts). Tests assert both by value.
 */
import { CallvaultError } from '../common/index.js';

export const CALLS_ERROR_CODES = ['CV_ERR_CALLS_REFUSED'] as const;
export type CallsErrorCode = (typeof CALLS_ERROR_CODES)[number];

/**
 * Why an INVITE is not answered 200, from admission (state of the recorder and of the offer) or
 * from an error thrown while setting the call up. Listed in admission precedence order.
 */
export const REFUSAL_CODES = [
  'shutting_down',
  'disk_full',
  'max_calls',
  'overload',
  'duplicate_call_id',
  'not_siprec',
  'no_sdp',
  'bad_body',
  'bad_sdp',
  'no_usable_stream',
  'ports_exhausted',
  'outbound_not_recorded',
  'internal',
] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];

/** Root of the errors calls/ throws: the code is one of CALLS_ERROR_CODES. */
export class CallsError extends CallvaultError {
  declare readonly code: CallsErrorCode;

  constructor(
    code: CallsErrorCode,
    message: string,
    opts: { cause?: unknown; context?: Record<string, string> } = {},
  ) {
    super(code, message, opts);
  }
}

/**
 * A call refused by admission. Thrown inside call set-up so that every refusal, decided here or
 * thrown from below (SDP, ports, vault), is answered and counted at one place.
 */
export class CallRefusedError extends CallsError {
  readonly refusal: RefusalCode;

  constructor(refusal: RefusalCode) {
    super('CV_ERR_CALLS_REFUSED', `call refused: ${refusal}`, { context: { refusal } });
    this.refusal = refusal;
  }
}
