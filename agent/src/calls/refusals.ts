/**
 * The one table from refusal to what the SBC and the metrics see: SIP status and reason phrase,
 * Warning (RFC 3261 §20.43), Retry-After, and the callvault_calls_rejected label. Errors thrown
 * while setting a call up map to a refusal here too, by code, so a status is chosen in one place.
 *
 * 503 + Retry-After means "try another recorder or later" (the SBC fails over); 4xx/603 mean this
 * offer will never be recorded here. Texts and labels are a contract: the SBC's logs and the
 * operators' dashboards quote them.
 */
import { SIPREC_ERROR_CODES } from '../siprec/index.js';
import { CallRefusedError, type RefusalCode } from './errors.js';

export interface Refusal {
  readonly status: number;
  readonly reason: string;
  /** Warning header: code 399 (miscellaneous) or 304 (media type not available), and its text. */
  readonly warning?: {
    readonly code: 304 | 399;
    readonly text: string;
    /** The error's code is appended in parentheses: the SBC's logs then say which check failed. */
    readonly withErrorCode?: true;
  };
  readonly retryAfterS?: number;
  /** callvault_calls_rejected_total{reason}; null: not counted (a daemon shutting down). */
  readonly statsLabel: RefusalCode | null;
  /** Logged when the refusal comes from an error thrown below (not from admission). */
  readonly log?: { readonly level: 'warn' | 'error'; readonly msg: string };
  /** Codes of errors thrown during set-up that mean this refusal. */
  readonly errorCodes?: readonly string[];
}

const UNAVAILABLE = { status: 503, reason: 'Service Unavailable' } as const;
const SETUP_FAILED = { level: 'error', msg: 'call setup failed' } as const;

export const REFUSALS: Readonly<Record<RefusalCode, Refusal>> = Object.freeze({
  shutting_down: { ...UNAVAILABLE, retryAfterS: 30, statsLabel: null },
  disk_full: {
    ...UNAVAILABLE,
    retryAfterS: 60,
    warning: { code: 399, text: 'storage full' },
    statsLabel: 'disk_full',
    log: SETUP_FAILED,
    errorCodes: ['CV_ERR_VAULT_DISK_FULL'],
  },
  max_calls: {
    ...UNAVAILABLE,
    retryAfterS: 5,
    warning: { code: 399, text: 'at sip.max_calls' },
    statsLabel: 'max_calls',
  },
  overload: {
    ...UNAVAILABLE,
    retryAfterS: 5,
    warning: { code: 399, text: 'overloaded' },
    statsLabel: 'overload',
  },
  // A second dialog with a live call's Call-ID is a loop or a broken SBC, not a new call.
  duplicate_call_id: { status: 482, reason: 'Loop Detected', statsLabel: 'duplicate_call_id' },
  not_siprec: {
    status: 403,
    reason: 'Forbidden',
    warning: { code: 399, text: 'only SIPREC recording sessions are accepted' },
    statsLabel: 'not_siprec',
  },
  no_sdp: {
    status: 488,
    reason: 'Not Acceptable Here',
    warning: { code: 399, text: 'an SDP offer is required' },
    statsLabel: 'no_sdp',
  },
  // The SBC's body, not our fault: a 400 naming it, a warning, never a 500.
  bad_body: {
    status: 400,
    reason: 'Bad Request',
    warning: { code: 399, text: 'bad multipart body', withErrorCode: true },
    statsLabel: 'bad_body',
    log: { level: 'warn', msg: 'INVITE body is not valid multipart' },
    errorCodes: [SIPREC_ERROR_CODES.multipartNoBoundary, SIPREC_ERROR_CODES.multipartMalformed],
  },
  bad_sdp: {
    status: 400,
    reason: 'Bad Request',
    warning: { code: 399, text: 'bad SDP', withErrorCode: true },
    statsLabel: 'bad_sdp',
    errorCodes: [
      SIPREC_ERROR_CODES.sdpSyntax,
      SIPREC_ERROR_CODES.sdpVersion,
      SIPREC_ERROR_CODES.sdpMedia,
      SIPREC_ERROR_CODES.sdpConnection,
      SIPREC_ERROR_CODES.sdpAttribute,
    ],
  },
  no_usable_stream: {
    status: 488,
    reason: 'Not Acceptable Here',
    warning: { code: 304, text: 'no common media format' },
    statsLabel: 'no_usable_stream',
    errorCodes: [SIPREC_ERROR_CODES.sdpNoUsableStream],
  },
  ports_exhausted: {
    ...UNAVAILABLE,
    statsLabel: 'ports_exhausted',
    log: SETUP_FAILED,
    errorCodes: ['CV_ERR_MEDIA_PORTS_EXHAUSTED'],
  },
  // SIPREC lets the recorder decline a recording session (RFC 7866): the SBC connects the call
  // itself; only its recording is declined.
  outbound_not_recorded: {
    status: 603,
    reason: 'Decline',
    warning: { code: 399, text: 'policy does not record outbound calls' },
    statsLabel: 'outbound_not_recorded',
  },
  internal: { status: 500, reason: 'Server Internal Error', statsLabel: 'internal', log: SETUP_FAILED },
});

const BY_ERROR_CODE: ReadonlyMap<string, RefusalCode> = new Map(
  (Object.entries(REFUSALS) as [RefusalCode, Refusal][]).flatMap(([refusal, r]) =>
    (r.errorCodes ?? []).map((code) => [code, refusal] as const),
  ),
);

/** The refusal an error thrown during call set-up (or a re-offer) stands for; unknown → internal. */
export function refusalFor(err: unknown): RefusalCode {
  if (err instanceof CallRefusedError) return err.refusal;
  const code = (err as { code?: unknown } | null)?.code;
  return (typeof code === 'string' ? BY_ERROR_CODE.get(code) : undefined) ?? 'internal';
}

export interface SipRefusal {
  readonly status: number;
  readonly reason: string;
  readonly headers: readonly [string, string][];
}

/** The final response for a refusal; `errorCode` fills the Warning of refusals that name it. */
export function sipRefusal(refusal: RefusalCode, errorCode?: string): SipRefusal {
  const r = REFUSALS[refusal];
  const headers: [string, string][] = [];
  if (r.retryAfterS !== undefined) headers.push(['Retry-After', String(r.retryAfterS)]);
  if (r.warning !== undefined) {
    const detail = r.warning.withErrorCode === true && errorCode !== undefined ? ` (${errorCode})` : '';
    headers.push(['Warning', `${r.warning.code} callvault "${r.warning.text}${detail}"`]);
  }
  return { status: r.status, reason: r.reason, headers };
}
