/** The media stage: RTP/RTCP receive, reorder and wall-clock timeline, codecs, DTMF, stats. */
export {
  createMediaReceiver,
  type MediaReceiver,
  type MediaReceiverOptions,
  type AllocateOptions,
  type AllocatedStream,
} from './receiver.js';
export { RtpStream, type RtpStreamStats, type RtcpStats } from './stream.js';
export { createMediaRuntime, type MediaRuntime } from './runtime.js';
export { MAX_RING_SLOTS, StreamTimeline, type TimelineOptions, type StreamStats } from './timeline.js';
export {
  CODECS,
  DEFAULT_PAYLOAD_TYPES,
  codecForEncodingName,
  createAudioDecoder,
  type CodecName,
  type CodecInfo,
  type AudioDecoder,
} from './codecs.js';
export { decodeUlaw, decodeAlaw, encodeUlaw, encodeAlaw, ULAW_DECODE, ALAW_DECODE } from './g711.js';
export { createG722State, decodeG722, encodeG722, type G722State } from './g722.js';
export { parseTelephoneEvent, digitForEvent, type DtmfEvent, type TelephoneEventPayload } from './dtmf.js';
export {
  parseRtp,
  parseRtcp,
  isRtcp,
  createRtpHeader,
  createRtcpInfo,
  RTP_HEADER_BYTES,
  type RtpHeader,
  type RtcpInfo,
  type PacketDropReason,
} from './rtp.js';
export {
  estimateMos,
  createMediaCounts,
  type MosInput,
  type MosEstimate,
  type DropCounters,
  type MediaCounts,
} from './stats.js';
export { buildRtpPacket, buildTelephoneEventPayload, type RtpPacketFields } from './packet-builder.js';
export * from './errors.js';
export {
  MediaTotals,
  MEDIA_SIDES,
  SILENT_REASONS,
  mediaVerdict,
  type MediaSide,
  type MediaVerdict,
  type SilentReason,
  type EndedStream,
  type MediaTotalsEvents,
} from './media-totals.js';
