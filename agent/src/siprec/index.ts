/**
 * SIPREC (RFC 7866) parsing: SDP offers and answers, rs-metadata (RFC 7865), multipart bodies, and
 * the mapping of an offer into the session model. The SRS (INVITE handling) builds on these.
 */
export {
  parseSdp,
  type SdpAttribute,
  type SdpConnection,
  type SdpCrypto,
  type SdpMedia,
  type SdpOrigin,
  type SdpRtpMap,
  type SdpSession,
} from './sdp.js';
export {
  answerFor,
  chooseCodecs,
  DEFAULT_SUPPORTED_CODECS,
  type AnswerOptions,
  type AnsweredStream,
  type CodecChoice,
  type SdpAnswer,
  type SrtpAnswerer,
  type StreamRejectReason,
} from './sdp-answer.js';
export {
  splitMultipart,
  extractOfferBodies,
  contentTypeParam,
  mediaType,
  type MultipartPart,
  type OfferBodies,
} from './multipart.js';
export {
  parseRecordingMetadata,
  RECORDING_NAMESPACE,
  LEGACY_RECORDING_NAMESPACE,
  type MetadataParticipant,
  type MetadataSession,
  type MetadataStream,
  type RecordingMetadata,
} from './metadata.js';
export { METADATA_MAX_BYTES } from './xml-tree.js';
export {
  participantsFromHeaders,
  parseNameAddrs,
  uriUser,
  isAnonymousUri,
  privacyHidesIdentity,
  type NameAddr,
} from './identity.js';
export {
  sessionInfoFromOffer,
  parseDirection,
  parseConsent,
  type OfferHeaders,
  type OfferInput,
  type OfferSession,
} from './offer.js';
export {
  SdpError,
  NoUsableStreamError,
  MultipartError,
  MetadataError,
  PortAllocationError,
  SIPREC_ERROR_CODES,
} from './errors.js';
