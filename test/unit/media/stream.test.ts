import assert from 'node:assert/strict';
import { buildRtpPacket, encodeUlaw, type RtpStream } from '../../../agent/src/media/index.js';
import { createParseScratch } from '../../../agent/src/media/stream.js';
import { packetize, tone, zeroCrossingHz } from './tone.js';
import { STREAM_ORIGIN_MS, testStream } from '../../helpers/rtp-stream.js';

const ORIGIN = STREAM_ORIGIN_MS;

function makeStream(now: { t: number }, latch = true): RtpStream {
  return testStream({ label: 'caller', latch, clock: () => now.t }, createParseScratch());
}

function srPacket(packets: number): Buffer {
  const b = Buffer.alloc(52);
  b[0] = 0x81;
  b[1] = 200;
  b.writeUInt16BE(12, 2);
  b.writeUInt32BE(packets, 20);
  b.writeUInt32BE(packets * 160, 24);
  b[28 + 4] = 26;
  b.writeUInt32BE(80, 28 + 12);
  return b;
}

describe('media/stream', () => {
  it('counts garbage per reason and never lets it reach the timeline', function () {
    this.timeout(2000);
    const now = { t: ORIGIN };
    const s = makeStream(now);
    const good = buildRtpPacket({
      payloadType: 0,
      seq: 1,
      timestamp: 160,
      ssrc: 9,
      payload: new Uint8Array(160),
    });
    const v0 = Buffer.from(good);
    v0[0] = 0x00;
    const pad = Buffer.from(good);
    pad[0] = 0x80 | 0x20;
    pad[pad.length - 1] = 0;
    s.ingestRtp(Buffer.alloc(5), '127.0.0.1', 5000);
    s.ingestRtp(v0, '127.0.0.1', 5000);
    s.ingestRtp(pad, '127.0.0.1', 5000);
    s.ingestRtp(
      buildRtpPacket({
        payloadType: 0,
        seq: 1,
        timestamp: 2,
        ssrc: 3,
        payload: new Uint8Array(0),
        csrcs: [1],
      }).subarray(0, 14),
      '127.0.0.1',
      5000,
    );
    s.ingestRtp(
      buildRtpPacket({ payloadType: 96, seq: 2, timestamp: 2, ssrc: 9, payload: new Uint8Array(4) }),
      '127.0.0.1',
      5000,
    );
    s.ingestRtp(good, '127.0.0.1', 5000);
    s.ingestRtp(good, '127.0.0.1', 5002);
    s.ingestRtp(good, '127.0.0.2', 5000);
    const st = s.stats();
    assert.deepEqual(
      { ...st.drops },
      {
        short: 1,
        version: 1,
        csrc: 1,
        extension: 0,
        padding: 1,
        rtcp: 0,
        oversize: 0,
        unknownPayloadType: 1,
        wrongSource: 2,
        seqJump: 0,
        overflow: 0,
      },
    );
    assert.equal(st.packets, 1);
    assert.deepEqual(st.source, { address: '127.0.0.1', port: 5000 });
  });

  it('without latching accepts a new source; unlatch() re-learns it', function () {
    this.timeout(2000);
    const now = { t: ORIGIN };
    const open = makeStream(now, false);
    const p = (seq: number): Buffer =>
      buildRtpPacket({ payloadType: 0, seq, timestamp: seq * 160, ssrc: 9, payload: new Uint8Array(160) });
    open.ingestRtp(p(1), '127.0.0.1', 5000);
    open.ingestRtp(p(2), '127.0.0.1', 6000);
    assert.equal(open.stats().packets, 2);
    const latched = makeStream(now);
    latched.ingestRtp(p(1), '127.0.0.1', 5000);
    latched.unlatch();
    latched.ingestRtp(p(2), '127.0.0.1', 6000);
    latched.ingestRtp(p(3), '127.0.0.1', 5000);
    assert.equal(latched.stats().packets, 2);
    assert.deepEqual(latched.stats().source, { address: '127.0.0.1', port: 6000 });
  });

  it('keeps RTCP sender counts, the peer report and the last RTCP time (also when muxed)', function () {
    this.timeout(2000);
    const now = { t: ORIGIN + 5000 };
    const s = makeStream(now);
    s.ingestRtcp(srPacket(250), '127.0.0.1', 5001);
    now.t += 1000;
    s.ingestRtp(srPacket(300), '127.0.0.1', 5000);
    s.ingestRtcp(Buffer.from([0x81, 200, 0, 40]), '127.0.0.1', 5001);
    const r = s.stats().rtcp;
    assert.equal(r.packets, 2);
    assert.equal(r.senderPacketCount, 300);
    assert.equal(r.senderOctetCount, 48000);
    assert.equal(r.peerFractionLost, 26 / 256);
    assert.equal(r.peerJitterMs, 10);
    assert.equal(r.lastRtcpMs, ORIGIN + 6000);
    assert.equal(s.stats().drops.short, 1);
    assert.equal(s.lastPacketMs, null);
  });

  it('reads audio aligned to its origin and reports the last packet time', function () {
    this.timeout(2000);
    const now = { t: ORIGIN };
    const s = makeStream(now);
    const parts: Int16Array[] = [];
    for (const p of packetize(encodeUlaw(tone(440, 8000, 8000)), { pt: 0, ssrc: 1 })) {
      now.t = ORIGIN + p.atMs;
      s.ingestRtp(p.buf, '127.0.0.1', 5000);
      parts.push(s.read());
    }
    parts.push(s.drain(ORIGIN + 1000));
    const total = parts.reduce((n, a) => n + a.length, 0);
    assert.equal(total, 8000);
    assert.equal(s.lastPacketMs, ORIGIN + 980);
    const all = new Int16Array(total);
    let o = 0;
    for (const a of parts) {
      all.set(a, o);
      o += a.length;
    }
    assert.ok(Math.abs(zeroCrossingHz(all, 8000) - 440) < 3);
  });
});
