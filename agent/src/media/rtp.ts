/**
 * RTP (RFC 3550 §5.1) and RTCP SR/RR (§6.4) parsing over a received Buffer. The hot path
 * writes into a caller-owned header object and returns a constant reason string on garbage,
 * so a packet costs no allocation here; the socket handler counts the reason and moves on.
 */

export const RTP_HEADER_BYTES = 12;

/** Why a datagram was not accepted as RTP/RTCP: each is a key of the stream's drop counters. */
/** oversize: a datagram longer than any RTP/RTCP packet we accept (truncated by the reader). */
export type PacketDropReason = 'short' | 'version' | 'csrc' | 'extension' | 'padding' | 'rtcp' | 'oversize';

/** Filled in place by parseRtp(); fields are only meaningful after it returned null. */
export interface RtpHeader {
  marker: boolean;
  payloadType: number;
  seq: number;
  /** Unsigned 32-bit RTP timestamp. */
  timestamp: number;
  /** Unsigned 32-bit SSRC. */
  ssrc: number;
  csrcCount: number;
  /** Byte offset of the payload in the datagram (after CSRCs and the extension). */
  payloadOffset: number;
  /** Payload bytes, padding excluded. */
  payloadLength: number;
}

export function createRtpHeader(): RtpHeader {
  return {
    marker: false,
    payloadType: 0,
    seq: 0,
    timestamp: 0,
    ssrc: 0,
    csrcCount: 0,
    payloadOffset: 0,
    payloadLength: 0,
  };
}

/**
 * RFC 5761 §4: with rtcp-mux, RTCP packet types 192–223 sit where RTP's marker+PT byte is.
 * No audio payload type we accept lives there, so the second byte separates the two.
 */
export function isRtcp(buf: Uint8Array, len: number, at = 0): boolean {
  if (len < 2) return false;
  const b1 = buf[at + 1]!;
  return b1 >= 192 && b1 <= 223;
}

/** Parses the datagram buf[at, at + len); payloadOffset is an index into buf itself. */
export function parseRtp(buf: Uint8Array, len: number, out: RtpHeader, at = 0): PacketDropReason | null {
  if (len < RTP_HEADER_BYTES) return 'short';
  const b0 = buf[at]!;
  if (b0 >> 6 !== 2) return 'version';
  const csrcCount = b0 & 0x0f;
  let offset = RTP_HEADER_BYTES + csrcCount * 4;
  if (offset > len) return 'csrc';
  if ((b0 & 0x10) !== 0) {
    if (offset + 4 > len) return 'extension';
    // The extension length counts 32-bit words after its own 4-byte header (§5.3.1).
    offset += 4 + ((buf[at + offset + 2]! << 8) | buf[at + offset + 3]!) * 4;
    if (offset > len) return 'extension';
  }
  let end = len;
  if ((b0 & 0x20) !== 0) {
    // The last octet counts the padding octets, itself included, so 0 is invalid (§5.1).
    const pad = buf[at + len - 1]!;
    if (pad === 0 || offset + pad > len) return 'padding';
    end = len - pad;
  }
  const b1 = buf[at + 1]!;
  out.marker = (b1 & 0x80) !== 0;
  out.payloadType = b1 & 0x7f;
  out.seq = (buf[at + 2]! << 8) | buf[at + 3]!;
  out.timestamp = ((buf[at + 4]! << 24) | (buf[at + 5]! << 16) | (buf[at + 6]! << 8) | buf[at + 7]!) >>> 0;
  out.ssrc = ((buf[at + 8]! << 24) | (buf[at + 9]! << 16) | (buf[at + 10]! << 8) | buf[at + 11]!) >>> 0;
  out.csrcCount = csrcCount;
  out.payloadOffset = at + offset;
  out.payloadLength = end - offset;
  return null;
}

/** What one compound RTCP packet told us; filled in place by parseRtcp(). */
export interface RtcpInfo {
  hasSenderReport: boolean;
  senderSsrc: number;
  /** SR: the sender's cumulative packet and octet counts (§6.4.1). */
  senderPacketCount: number;
  senderOctetCount: number;
  senderRtpTimestamp: number;
  hasReportBlock: boolean;
  /** First report block (SR or RR): the peer's view of the stream it receives. */
  fractionLost: number;
  cumulativeLost: number;
  extendedHighestSeq: number;
  /** Interarrival jitter in RTP timestamp units, as the peer computed it. */
  jitterUnits: number;
  bye: boolean;
}

export function createRtcpInfo(): RtcpInfo {
  return {
    hasSenderReport: false,
    senderSsrc: 0,
    senderPacketCount: 0,
    senderOctetCount: 0,
    senderRtpTimestamp: 0,
    hasReportBlock: false,
    fractionLost: 0,
    cumulativeLost: 0,
    extendedHighestSeq: 0,
    jitterUnits: 0,
    bye: false,
  };
}

const u32 = (b: Uint8Array, o: number): number =>
  ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

function readReportBlock(buf: Uint8Array, o: number, out: RtcpInfo): void {
  out.hasReportBlock = true;
  out.fractionLost = buf[o + 4]! / 256;
  // Cumulative lost is a signed 24-bit count (duplicates can make it negative).
  out.cumulativeLost = ((buf[o + 5]! << 24) | (buf[o + 6]! << 16) | (buf[o + 7]! << 8)) >> 8;
  out.extendedHighestSeq = u32(buf, o + 8);
  out.jitterUnits = u32(buf, o + 12);
}

/**
 * Walks a compound RTCP packet (§6.1). SR and RR are read; SDES/APP are skipped; BYE is
 * noted. Returns 'rtcp' when any sub-packet's header or length is inconsistent.
 */
export function parseRtcp(buf: Uint8Array, len: number, out: RtcpInfo): PacketDropReason | null {
  out.hasSenderReport = false;
  out.hasReportBlock = false;
  out.bye = false;
  if (len < 8) return 'short';
  let o = 0;
  while (o < len) {
    if (o + 4 > len) return 'rtcp';
    const b0 = buf[o]!;
    if (b0 >> 6 !== 2) return 'version';
    const count = b0 & 0x1f;
    const pt = buf[o + 1]!;
    const bytes = (((buf[o + 2]! << 8) | buf[o + 3]!) + 1) * 4;
    if (o + bytes > len) return 'rtcp';
    if (pt === 200) {
      if (bytes < 28 + count * 24) return 'rtcp';
      out.hasSenderReport = true;
      out.senderSsrc = u32(buf, o + 4);
      out.senderRtpTimestamp = u32(buf, o + 16);
      out.senderPacketCount = u32(buf, o + 20);
      out.senderOctetCount = u32(buf, o + 24);
      if (count > 0) readReportBlock(buf, o + 28, out);
    } else if (pt === 201) {
      if (bytes < 8 + count * 24) return 'rtcp';
      out.senderSsrc = u32(buf, o + 4);
      if (count > 0) readReportBlock(buf, o + 8, out);
    } else if (pt === 203) {
      out.bye = true;
    } else if (pt < 192 || pt > 223) {
      return 'rtcp';
    }
    o += bytes;
  }
  return null;
}
