/**
 * sip/: SIP signalling — message parse/serialise, stream framing, request validation and
 * responses (pure functions), and the stack: UDP/TCP/TLS transports, protection (trusted
 * sources, rate limits, size and connection limits), transactions and dialogs.
 */
export { SIP_PARSE_REASONS, SipBuildError, SipClosedError, SipConfigError, SipParseError } from './errors.js';
export type { SipParseReason } from './errors.js';
export type {
  CSeq,
  HeaderInput,
  HostType,
  NameAddr,
  OtherUri,
  SipHeader,
  SipMessage,
  SipParams,
  SipRequest,
  SipResponse,
  SipUri,
  Uri,
  Via,
} from './types.js';
export { DEFAULT_MAX_MESSAGE_BYTES, parseMessage } from './parser.js';
export type { ParseOptions } from './parser.js';
export { serializeMessage } from './serializer.js';
export { COMPACT_FORMS, getHeader, getHeaderList, normalizeHeaderName } from './headers.js';
export { parseUri } from './uri.js';
export { parseNameAddr } from './name-addr.js';
export { parseVia } from './via.js';
export { parseCSeq } from './message.js';
export { parseMediaType, parseMultipart } from './multipart.js';
export type { BodyPart, MediaType } from './multipart.js';
export { SipStreamFramer } from './framer.js';
export type { FramerOptions, SipFrame } from './framer.js';
export { optionTags, validateRequest } from './validate.js';
export type { SipProblem, ValidateOptions } from './validate.js';
export { makeResponse, newTag, responseFor } from './response.js';
export type { ResponseOptions } from './response.js';
export { makeRequest, stampReceived } from './request.js';
export type { RequestInput } from './request.js';
export { makeTrustList, parseListen, responseDestination } from './addr.js';
export type { Destination, ListenAddress } from './addr.js';
export { makeBye } from './dialog.js';
export type { SipDialog } from './dialog.js';
export { salvageBadRequest } from './salvage.js';
export { DEFAULT_TIMERS } from './transactions.js';
export type { SipTimers } from './transactions.js';
export type { BoundAddress, SipSource, TransportName } from './transport.js';
export { SipStack, createSipStack } from './stack.js';
export type { ServerTx, SipStackEvents, SipStackOptions, SipStats } from './stack.js';
