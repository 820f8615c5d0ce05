/**
 * RTP packet construction for the load generator, the benchmarks and tests. Not used on the
 * receive path; allocation per packet is fine here.
 */

export interface RtpPacketFields {
  readonly payloadType: number;
  readonly seq: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly payload: Uint8Array;
  readonly marker?: boolean;
  readonly csrcs?: readonly number[];
  /** Header extension body; its length must be a multiple of 4 bytes. */
  readonly extension?: { readonly profile: number; readonly data: Uint8Array };
  /** Padding octets to append (1–255), the last of which holds the count. */
  readonly padding?: number;
}

export function buildRtpPacket(f: RtpPacketFields): Buffer {
  const csrcs = f.csrcs ?? [];
  const extBytes = f.extension === undefined ? 0 : 4 + f.extension.data.length;
  const pad = f.padding ?? 0;
  const buf = Buffer.alloc(12 + csrcs.length * 4 + extBytes + f.payload.length + pad);
  buf[0] = 0x80 | (pad > 0 ? 0x20 : 0) | (f.extension !== undefined ? 0x10 : 0) | (csrcs.length & 0x0f);
  buf[1] = (f.marker === true ? 0x80 : 0) | (f.payloadType & 0x7f);
  buf.writeUInt16BE(f.seq & 0xffff, 2);
  buf.writeUInt32BE(f.timestamp >>> 0, 4);
  buf.writeUInt32BE(f.ssrc >>> 0, 8);
  let o = 12;
  for (const c of csrcs) {
    buf.writeUInt32BE(c >>> 0, o);
    o += 4;
  }
  if (f.extension !== undefined) {
    buf.writeUInt16BE(f.extension.profile, o);
    buf.writeUInt16BE(f.extension.data.length / 4, o + 2);
    buf.set(f.extension.data, o + 4);
    o += extBytes;
  }
  buf.set(f.payload, o);
  if (pad > 0) buf[buf.length - 1] = pad;
  return buf;
}

/** RFC 4733 §2.3 payload: event, E bit, volume (0–63, as −dBm0), duration in RTP units. */
export function buildTelephoneEventPayload(
  event: number,
  end: boolean,
  volume: number,
  duration: number,
): Uint8Array {
  return Uint8Array.from([
    event & 0xff,
    (end ? 0x80 : 0) | (volume & 0x3f),
    (duration >> 8) & 0xff,
    duration & 0xff,
  ]);
}
