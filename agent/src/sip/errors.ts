/**
 * The sip/ error table. Codes are the contract; `reason` on SipParseError is a bounded label
 * (one of SIP_PARSE_REASONS) so the stack can keep one counter per rejection reason.
 */
import { CallvaultError, UserError } from '../common/index.js';

/** Why a message was refused by the parser or the stream framer. Bounded: safe as a counter key. */
export const SIP_PARSE_REASONS = [
  'empty',
  'too-large',
  'truncated',
  'bad-start-line',
  'bad-uri',
  'bad-header',
  'too-many-headers',
  'missing-header',
  'duplicate-header',
  'content-length',
  'bad-cseq',
  'bad-via',
  'bad-name-addr',
  'bad-call-id',
  'bad-multipart',
] as const;

export type SipParseReason = (typeof SIP_PARSE_REASONS)[number];

/** Malformed SIP on the wire. The transport drops (or answers 400) and counts by `reason`. */
export class SipParseError extends CallvaultError {
  readonly reason: SipParseReason;

  constructor(reason: SipParseReason, detail: string, context: { header?: string } = {}) {
    super('CV_ERR_SIP_PARSE', `malformed SIP message (${reason}): ${detail}`, {
      context: { reason, ...context },
    });
    this.reason = reason;
  }
}

/** A framer or stack used after it failed or was closed. */
export class SipClosedError extends CallvaultError {
  constructor(what: string) {
    super('CV_ERR_SIP_CLOSED', `${what} is closed`, { context: { what } });
  }
}

/** Invalid stack options (listen address, limits): the technician fixes the config. */
export class SipConfigError extends UserError {
  constructor(key: string, detail: string) {
    super('CV_ERR_SIP_CONFIG', `sip: ${key}: ${detail}`, { context: { key } });
  }
}

/** A message we were asked to build or send is not well-formed (a bug in the caller). */
export class SipBuildError extends CallvaultError {
  constructor(detail: string) {
    super('CV_ERR_SIP_BUILD', `cannot build SIP message: ${detail}`);
  }
}
