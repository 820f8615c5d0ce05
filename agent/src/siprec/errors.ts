/**
 * Errors of the SIPREC parsing layer. The code is the contract; sip/siprec's edge maps them to
 * responses (SDP and multipart errors → 400, no usable stream → 488). Metadata errors are not
 * fatal to a call: the SRS records with what SDP and headers tell (see sessionInfoFromOffer).
 */
import { coded, CallvaultError, UserError, type ErrorContext } from '../common/index.js';

type Opts = { cause?: unknown; context?: ErrorContext };

/** Malformed SDP; `context.line` is the 1-based line number in the SDP body. */
export class SdpError extends UserError {
  constructor(code: `CV_ERR_SDP_${string}`, message: string, opts: Opts = {}) {
    super(code, message, opts);
  }
}

/** Every offered stream was rejected (no codec we decode, unsupported transport): answer 488. */
export class NoUsableStreamError extends coded(UserError, 'CV_ERR_SDP_NO_USABLE_STREAM') {}

/** The multipart body cannot be split (no boundary parameter, no delimiter found). */
export class MultipartError extends UserError {
  constructor(code: `CV_ERR_MULTIPART_${string}`, message: string, opts: Opts = {}) {
    super(code, message, opts);
  }
}

/** rs-metadata refused or unreadable: too large, DTD/entities, malformed XML, not a recording. */
export class MetadataError extends UserError {
  constructor(code: `CV_ERR_METADATA_${string}`, message: string, opts: Opts = {}) {
    super(code, message, opts);
  }
}

/** The port allocator returned something other than what was asked: a programming error. */
export class PortAllocationError extends coded(CallvaultError, 'CV_ERR_SDP_PORT_ALLOCATION') {}

/** Every code this folder throws, for the error-table test and the edge's status mapping. */
export const SIPREC_ERROR_CODES = Object.freeze({
  sdpSyntax: 'CV_ERR_SDP_SYNTAX',
  sdpVersion: 'CV_ERR_SDP_VERSION',
  sdpMedia: 'CV_ERR_SDP_MEDIA',
  sdpConnection: 'CV_ERR_SDP_CONNECTION',
  sdpAttribute: 'CV_ERR_SDP_ATTRIBUTE',
  sdpNoUsableStream: 'CV_ERR_SDP_NO_USABLE_STREAM',
  sdpPortAllocation: 'CV_ERR_SDP_PORT_ALLOCATION',
  multipartNoBoundary: 'CV_ERR_MULTIPART_NO_BOUNDARY',
  multipartMalformed: 'CV_ERR_MULTIPART_MALFORMED',
  metadataTooLarge: 'CV_ERR_METADATA_TOO_LARGE',
  metadataDtd: 'CV_ERR_METADATA_DTD_FORBIDDEN',
  metadataMalformed: 'CV_ERR_METADATA_MALFORMED',
  metadataNotRecording: 'CV_ERR_METADATA_NOT_RECORDING',
} as const);
