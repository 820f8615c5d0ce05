import assert from 'node:assert/strict';
import {
  buildRtpPacket,
  createRtcpInfo,
  createRtpHeader,
  isRtcp,
  parseRtcp,
  parseRtp,
} from '../../../agent/src/media/index.js';

const payload = Uint8Array.from({ length: 160 }, (_, i) => i & 0xff);

function rtcpSr(reportBlock: boolean): Buffer {
  const rc = reportBlock ? 1 : 0;
  const buf = Buffer.alloc(28 + rc * 24);
  buf[0] = 0x80 | rc;
  buf[1] = 200;
  buf.writeUInt16BE(buf.length / 4 - 1, 2);
  buf.writeUInt32BE(0x11223344, 4);
  buf.writeUInt32BE(0xdeadbeef, 16);
  buf.writeUInt32BE(500, 20);
  buf.writeUInt32BE(80000, 24);
  if (reportBlock) {
    buf[28 + 4] = 64; // fraction lost 64/256
    buf.writeUIntBE(0xfffffe, 28 + 5, 3); // cumulative lost −2 (24-bit signed)
    buf.writeUInt32BE(70000, 28 + 8);
    buf.writeUInt32BE(160, 28 + 12);
  }
  return buf;
}

describe('media/rtp', () => {
  it('parses every header field of a plain packet', function () {
    this.timeout(2000);
    const buf = buildRtpPacket({
      payloadType: 8,
      seq: 65535,
      timestamp: 0xfffffff0,
      ssrc: 0x89abcdef,
      payload,
      marker: true,
    });
    const h = createRtpHeader();
    assert.equal(parseRtp(buf, buf.length, h), null);
    assert.deepEqual(h, {
      marker: true,
      payloadType: 8,
      seq: 65535,
      timestamp: 0xfffffff0,
      ssrc: 0x89abcdef,
      csrcCount: 0,
      payloadOffset: 12,
      payloadLength: 160,
    });
  });

  it('skips CSRCs and the header extension, and strips padding', function () {
    this.timeout(2000);
    const buf = buildRtpPacket({
      payloadType: 0,
      seq: 1,
      timestamp: 2,
      ssrc: 3,
      payload,
      csrcs: [7, 8],
      extension: { profile: 0xbede, data: new Uint8Array(8) },
      padding: 4,
    });
    const h = createRtpHeader();
    assert.equal(parseRtp(buf, buf.length, h), null);
    assert.equal(h.csrcCount, 2);
    assert.equal(h.payloadOffset, 12 + 8 + 4 + 8);
    assert.equal(h.payloadLength, 160);
    assert.deepEqual([...buf.subarray(h.payloadOffset, h.payloadOffset + h.payloadLength)], [...payload]);
  });

  it('names the reason for each kind of garbage', function () {
    this.timeout(2000);
    const h = createRtpHeader();
    const good = buildRtpPacket({
      payloadType: 0,
      seq: 1,
      timestamp: 2,
      ssrc: 3,
      payload: new Uint8Array(4),
    });
    assert.equal(parseRtp(good.subarray(0, 11), 11, h), 'short');
    const v1 = Buffer.from(good);
    v1[0] = 0x40;
    assert.equal(parseRtp(v1, v1.length, h), 'version');
    const csrc = Buffer.from(good);
    csrc[0] = 0x8f; // 15 CSRCs announced, 4 payload bytes present
    assert.equal(parseRtp(csrc, csrc.length, h), 'csrc');
    const ext = buildRtpPacket({
      payloadType: 0,
      seq: 1,
      timestamp: 2,
      ssrc: 3,
      payload: new Uint8Array(0),
      extension: { profile: 1, data: new Uint8Array(4) },
    });
    ext.writeUInt16BE(50, 14); // extension claims 200 bytes
    assert.equal(parseRtp(ext, ext.length, h), 'extension');
    const pad0 = buildRtpPacket({
      payloadType: 0,
      seq: 1,
      timestamp: 2,
      ssrc: 3,
      payload: new Uint8Array(4),
      padding: 1,
    });
    pad0[pad0.length - 1] = 0;
    assert.equal(parseRtp(pad0, pad0.length, h), 'padding');
    pad0[pad0.length - 1] = 200;
    assert.equal(parseRtp(pad0, pad0.length, h), 'padding');
  });

  it('tells muxed RTCP from RTP by the packet-type byte', function () {
    this.timeout(2000);
    assert.equal(isRtcp(rtcpSr(false), 28), true);
    const rtp = buildRtpPacket({ payloadType: 0, seq: 1, timestamp: 2, ssrc: 3, payload, marker: true });
    assert.equal(isRtcp(rtp, rtp.length), false);
  });

  it('reads SR sender counts and the report block of a compound packet', function () {
    this.timeout(2000);
    const sdes = Buffer.from([0x81, 202, 0, 1, 0, 0, 0, 1]);
    const buf = Buffer.concat([rtcpSr(true), sdes]);
    const info = createRtcpInfo();
    assert.equal(parseRtcp(buf, buf.length, info), null);
    assert.equal(info.hasSenderReport, true);
    assert.equal(info.senderSsrc, 0x11223344);
    assert.equal(info.senderPacketCount, 500);
    assert.equal(info.senderOctetCount, 80000);
    assert.equal(info.hasReportBlock, true);
    assert.equal(info.fractionLost, 0.25);
    assert.equal(info.cumulativeLost, -2);
    assert.equal(info.extendedHighestSeq, 70000);
    assert.equal(info.jitterUnits, 160);
    assert.equal(info.bye, false);
  });

  it('reads an RR with BYE, and rejects inconsistent lengths', function () {
    this.timeout(2000);
    const rr = Buffer.alloc(32);
    rr[0] = 0x81;
    rr[1] = 201;
    rr.writeUInt16BE(7, 2);
    rr[8 + 4] = 128;
    const bye = Buffer.from([0x81, 203, 0, 1, 0, 0, 0, 9]);
    const info = createRtcpInfo();
    const ok = Buffer.concat([rr, bye]);
    assert.equal(parseRtcp(ok, ok.length, info), null);
    assert.equal(info.hasSenderReport, false);
    assert.equal(info.fractionLost, 0.5);
    assert.equal(info.bye, true);
    const truncated = Buffer.from(rr.subarray(0, 20));
    assert.equal(parseRtcp(truncated, truncated.length, info), 'rtcp');
    assert.equal(parseRtcp(Buffer.alloc(4), 4, info), 'short');
  });
});
