/**
 * Request checks a UAS makes after parsing (RFC 3261 §8.2 and the RFC 4475 cases that parse
 * but must be refused). The result names the response to send and a bounded `problem` label to
 * count. Order follows §8.2: method/version, URI scheme, then headers, then extensions, then body.
 */
import { splitList } from './grammar.js';
import { getHeader, getHeaderList } from './headers.js';
import { parseMediaType } from './multipart.js';
import { parseNameAddr } from './name-addr.js';
import type { HeaderInput, SipRequest } from './types.js';

export interface SipProblem {
  readonly status: number;
  readonly reasonPhrase: string;
  /** Bounded label for counters and logs. */
  readonly problem: string;
  /** Headers the response must carry (Unsupported for 420, Accept for 415). */
  readonly headers: readonly HeaderInput[];
}

export interface ValidateOptions {
  /** Option tags we implement; anything else in Require gets 420. Default: none. */
  readonly supported?: readonly string[];
  /** When set, a body of another media type gets 415. */
  readonly acceptedContentTypes?: readonly string[];
  /** Request-URI schemes we serve. Default sip, sips. */
  readonly schemes?: readonly string[];
}

function problem(
  status: number,
  reasonPhrase: string,
  label: string,
  headers: HeaderInput[] = [],
): SipProblem {
  return { status, reasonPhrase, problem: label, headers };
}

/** RFC 3261 §20.17: SIP-date is rfc1123-date, always in GMT. */
const SIP_DATE_RE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$/;

function contactsValid(req: SipRequest): boolean {
  for (const value of getHeaderList(req, 'contact')) {
    if (value === '*' && req.method === 'REGISTER') continue;
    try {
      parseNameAddr(value, 'contact');
    } catch {
      return false;
    }
  }
  return true;
}

/** undefined when the request may be processed; otherwise the error response to send. */
export function validateRequest(req: SipRequest, opts: ValidateOptions = {}): SipProblem | undefined {
  if (req.version !== '2.0') return problem(505, 'Version Not Supported', 'bad-version');
  const schemes = opts.schemes ?? ['sip', 'sips'];
  if (!schemes.includes(req.requestUri.scheme)) return problem(416, 'Unsupported URI Scheme', 'uri-scheme');
  if (req.requestUri.kind === 'sip' && req.requestUri.headers !== undefined) {
    return problem(400, 'Bad Request-URI: headers not allowed', 'uri-headers');
  }
  if (req.cseq.method !== req.method) return problem(400, 'CSeq Method Mismatch', 'cseq-mismatch');
  if (req.maxForwards !== undefined && req.maxForwards > 255) {
    return problem(400, 'Bad Max-Forwards', 'max-forwards');
  }
  const date = getHeader(req, 'date');
  if (date !== undefined && !SIP_DATE_RE.test(date)) return problem(400, 'Bad Date', 'bad-date');
  if (!contactsValid(req)) return problem(400, 'Bad Contact', 'bad-contact');
  if (req.method !== 'ACK' && req.method !== 'CANCEL') {
    const supported = new Set((opts.supported ?? []).map((t) => t.toLowerCase()));
    const unsupported = getHeaderList(req, 'require').filter(
      (t) => t.length > 0 && !supported.has(t.toLowerCase()),
    );
    if (unsupported.length > 0) {
      return problem(420, 'Bad Extension', 'bad-extension', [['Unsupported', unsupported.join(', ')]]);
    }
  }
  if (opts.acceptedContentTypes !== undefined && req.body.length > 0) {
    const mt = req.contentType === undefined ? undefined : parseMediaType(req.contentType);
    const accepted = opts.acceptedContentTypes.map((t) => t.toLowerCase());
    if (mt === undefined || !accepted.includes(mt.mime)) {
      return problem(415, 'Unsupported Media Type', 'media-type', [['Accept', accepted.join(', ')]]);
    }
  }
  return undefined;
}

/** Splits an option-tag list header (Supported, Require, Allow) into its tags. */
export function optionTags(value: string): string[] {
  return splitList(value).filter((t) => t.length > 0);
}
