/**
 * The SIP message model. Headers keep their order and their unfolded text so a message
 * re-serialises faithfully; the fields every layer needs (Via, From, To, Call-ID, CSeq) are
 * parsed once, at the edge, into typed values.
 */

/** Header parameters: lower-cased names; value as written (quoted strings keep quotes), null if none. */
export type SipParams = ReadonlyMap<string, string | null>;

export interface SipHeader {
  /** Lower-case long form ('call-id' for 'i', 'I', 'Call-ID'): what lookups use. */
  readonly name: string;
  /** The name as received; unknown headers are serialised with it. */
  readonly rawName: string;
  /** Unfolded value with leading and trailing whitespace removed. */
  readonly value: string;
}

export type HostType = 'name' | 'ipv4' | 'ipv6';

export interface SipUri {
  readonly kind: 'sip';
  readonly scheme: 'sip' | 'sips';
  readonly user?: string;
  readonly password?: string;
  /** As written; IPv6 references keep their brackets. */
  readonly host: string;
  readonly hostType: HostType;
  readonly port?: number;
  readonly params: SipParams;
  /** The raw `?hname=hvalue&…` part without the '?'. */
  readonly headers?: string;
}

/** Any other absoluteURI (tel:, urn:, http:, unknown schemes): kept opaque. */
export interface OtherUri {
  readonly kind: 'other';
  readonly scheme: string;
  readonly opaque: string;
}

export type Uri = SipUri | OtherUri;

export interface NameAddr {
  readonly displayName?: string;
  /** The URI text, without angle brackets. */
  readonly uri: string;
  readonly parsedUri: Uri;
  readonly params: SipParams;
  readonly tag?: string;
}

export interface Via {
  readonly protocol: string;
  readonly version: string;
  /** Upper case: UDP, TCP, TLS, SCTP, WS, … */
  readonly transport: string;
  readonly host: string;
  readonly hostType: HostType;
  readonly port?: number;
  readonly params: SipParams;
  readonly branch?: string;
  readonly received?: string;
  /** `rport` with a value: that port; present without a value: null; absent: undefined. */
  readonly rport?: number | null;
  readonly maddr?: string;
}

export interface CSeq {
  readonly seq: number;
  readonly method: string;
}

interface SipMessageBase {
  /** Protocol version after 'SIP/', e.g. '2.0'. */
  readonly version: string;
  readonly headers: readonly SipHeader[];
  /** Exactly Content-Length bytes (datagram without Content-Length: the rest of the datagram). */
  readonly body: Buffer;
  readonly via: readonly Via[];
  readonly from: NameAddr;
  readonly to: NameAddr;
  readonly callId: string;
  readonly cseq: CSeq;
  readonly contentLength?: number;
  readonly maxForwards?: number;
  readonly contentType?: string;
}

export interface SipRequest extends SipMessageBase {
  readonly kind: 'request';
  readonly method: string;
  readonly uri: string;
  readonly requestUri: Uri;
}

export interface SipResponse extends SipMessageBase {
  readonly kind: 'response';
  readonly status: number;
  readonly reason: string;
}

export type SipMessage = SipRequest | SipResponse;

/** A header to add when building a message: [name, value]. */
export type HeaderInput = readonly [name: string, value: string];
