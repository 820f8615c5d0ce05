import assert from 'node:assert/strict';
import {
  buildRtpPacket,
  buildTelephoneEventPayload,
  createG722State,
  encodeG722,
  encodeUlaw,
} from '../../../agent/src/media/index.js';
import { packetize, rms, tone, zeroCrossingHz } from './tone.js';
import { ORIGIN, at, play, timeline, ulawRef, type Arrival } from './timeline-feed.js';

describe('media/timeline: holds, jumps, DTMF, late packets and codecs', function () {
  this.timeout(10000);

  it('a 5 s hold with timestamps that keep counting gives 5 s of silence in place', function () {
    const ulaw = encodeUlaw(tone(1000, 8000, 80000));
    const pkts = packetize(ulaw, { pt: 0, ssrc: 7 });
    // Sender clock runs on during hold: packets 250..499 (5–10 s) are simply not sent.
    const arrivals = at(pkts).filter((_, k) => k < 125 || k >= 375);
    const tl = timeline();
    const out = play(tl, arrivals, ORIGIN + 10_000);
    assert.equal(out.length, 80000);
    assert.equal(rms(out, 2.5 * 8000 + 80, 7.5 * 8000), 0);
    assert.ok(rms(out, 0, 2.5 * 8000) > 5000 && rms(out, 7.5 * 8000 + 80, 80000) > 5000);
    assert.equal(tl.stats().reanchors, 0);
    assert.equal(tl.stats().lost, 250);
  });

  it('a 5 s hold after which timestamps continue without the gap re-anchors at wall clock', function () {
    const ulaw = encodeUlaw(tone(1000, 8000, 40000));
    const pkts = packetize(ulaw, { pt: 0, ssrc: 7 });
    // 0–2.5 s sent on time; the rest (same seq/ts run) is sent from 7.5 s on.
    const arrivals = pkts.map((p, k) => ({ buf: p.buf, arriveMs: ORIGIN + p.atMs + (k >= 125 ? 5000 : 0) }));
    const tl = timeline();
    const out = play(tl, arrivals, ORIGIN + 10_000);
    assert.equal(out.length, 80000);
    assert.equal(rms(out, 2.5 * 8000 + 80, 7.5 * 8000), 0);
    assert.ok(rms(out, 7.5 * 8000 + 200, 80000) > 5000, 'audio after the hold');
    const st = tl.stats();
    assert.equal(st.reanchors, 1);
    assert.equal(st.late, 0);
    assert.equal(st.lost, 0);
  });

  it('silence suppression (CN, then a timestamp gap) becomes silence without re-anchoring', function () {
    const ulaw = encodeUlaw(tone(500, 8000, 48000));
    const pkts = packetize(ulaw, { pt: 0, ssrc: 9 });
    const cn = buildRtpPacket({
      payloadType: 13,
      seq: pkts[100]!.seq,
      timestamp: pkts[100]!.timestamp,
      ssrc: 9,
      payload: Uint8Array.from([40]),
    });
    // After packet 99: one CN packet, then nothing for 2 s; seq resumes +1, ts jumped by 2 s.
    const arrivals: Arrival[] = at(pkts.slice(0, 100));
    arrivals.push({ buf: cn, arriveMs: ORIGIN + 2000 });
    for (let k = 200; k < 300; k++) {
      const p = pkts[k]!;
      arrivals.push({
        buf: buildRtpPacket({
          payloadType: 0,
          seq: (p.seq - 99) & 0xffff,
          timestamp: p.timestamp,
          ssrc: 9,
          payload: ulaw.subarray(k * 160, k * 160 + 160),
        }),
        arriveMs: ORIGIN + p.atMs,
      });
    }
    const tl = timeline();
    const out = play(tl, arrivals, ORIGIN + 6000);
    assert.equal(out.length, 48000);
    assert.equal(rms(out, 16000, 32000), 0);
    assert.ok(rms(out, 32000, 48000) > 5000);
    const st = tl.stats();
    assert.equal(st.reanchors, 0);
    assert.equal(st.comfortNoisePackets, 1);
    assert.equal(st.lost, 0);
  });

  it('an SSRC change mid-call continues the audio without a gap or overlap', function () {
    const a = packetize(encodeUlaw(tone(440, 8000, 24000)), { pt: 0, ssrc: 1, seq0: 10, ts0: 1000 });
    const b = packetize(encodeUlaw(tone(440, 8000, 24000, 12000, 24000)), {
      pt: 0,
      ssrc: 2,
      seq0: 40000,
      ts0: 3_000_000_000,
    });
    const arrivals = [...at(a), ...at(b, 3000)];
    const tl = timeline();
    const out = play(tl, arrivals, ORIGIN + 6000);
    assert.equal(out.length, 48000);
    const st = tl.stats();
    assert.equal(st.ssrcChanges, 1);
    assert.equal(st.ssrc, 2);
    assert.equal(st.lost, 0);
    assert.equal(st.packets, 300);
    assert.ok(Math.abs(zeroCrossingHz(out.subarray(160), 8000) - 440) < 3, 'one continuous 440 Hz tone');
    assert.ok(rms(out, 160, 48000) > 7000);
  });

  it('a timestamp jump of an hour (same SSRC, consecutive seq) re-anchors instead of inserting silence', function () {
    const ulaw = encodeUlaw(tone(440, 8000, 32000));
    const pkts = packetize(ulaw, { pt: 0, ssrc: 5, ts0: 100 });
    const arrivals = at(pkts).map((p, k) =>
      k < 100
        ? p
        : {
            ...p,
            buf: buildRtpPacket({
              payloadType: 0,
              seq: pkts[k]!.seq,
              timestamp: pkts[k]!.timestamp + 8000 * 3600,
              ssrc: 5,
              payload: ulaw.subarray(k * 160, k * 160 + 160),
            }),
          },
    );
    const tl = timeline();
    const out = play(tl, arrivals, ORIGIN + 4000);
    assert.equal(out.length, 32000);
    assert.equal(tl.stats().reanchors, 1);
    assert.ok(rms(out, 16000, 32000) > 7000, 'audio continues after the jump');
  });

  it('extracts DTMF and leaves the audio around it intact', function () {
    const ulaw = encodeUlaw(tone(440, 8000, 32000));
    const ref = ulawRef(ulaw);
    const pkts = packetize(ulaw, { pt: 0, ssrc: 3 });
    const arrivals: Arrival[] = [];
    // Audio 0–2 s and 2.2–4 s; in between the sender sends only telephone-events for digit 7.
    pkts.forEach((p, k) => {
      if (k < 100 || k >= 110) arrivals.push({ buf: p.buf, arriveMs: ORIGIN + p.atMs });
    });
    const startTs = pkts[100]!.timestamp;
    for (let j = 0; j < 10; j++) {
      const end = j >= 7;
      const duration = end ? 1600 : (j + 1) * 160;
      arrivals.push({
        buf: buildRtpPacket({
          payloadType: 101,
          seq: pkts[100 + j]!.seq,
          timestamp: startTs,
          ssrc: 3,
          marker: j === 0,
          payload: buildTelephoneEventPayload(7, end, 12, duration),
        }),
        arriveMs: ORIGIN + 2000 + j * 20,
      });
    }
    const tl = timeline();
    const out = play(tl, arrivals, ORIGIN + 4000);
    assert.deepEqual(
      tl.dtmfEvents().map((e) => [e.digit, e.startTs, e.durationMs, e.offsetMs, e.ended]),
      [['7', startTs, 200, 2000, true]],
    );
    for (let i = 0; i < 32000; i += 11)
      assert.equal(out[i], i >= 16000 && i < 17600 ? 0 : ref[i], `sample ${i}`);
    assert.equal(tl.stats().lost, 0);
  });

  it('counts a packet arriving after its slot was emitted as late and drops it', function () {
    const ulaw = encodeUlaw(tone(440, 8000, 16000));
    const pkts = packetize(ulaw, { pt: 0, ssrc: 4 });
    const arrivals = at(pkts).map((p, k) => (k === 50 ? { ...p, arriveMs: p.arriveMs + 300 } : p));
    const tl = timeline({ jitterBufferMs: 60 });
    const out = play(tl, arrivals, ORIGIN + 2000);
    const st = tl.stats();
    assert.equal(st.late, 1);
    assert.equal(st.lost, 0);
    assert.equal(rms(out, 50 * 160, 51 * 160), 0);
  });

  it('counts duplicates and unknown payload types without disturbing the audio', function () {
    const ulaw = encodeUlaw(tone(440, 8000, 8000));
    const pkts = packetize(ulaw, { pt: 0, ssrc: 4 });
    const arrivals = [
      ...at(pkts),
      { buf: pkts[10]!.buf, arriveMs: ORIGIN + 210 },
      {
        buf: buildRtpPacket({ payloadType: 96, seq: 1, timestamp: 1, ssrc: 4, payload: new Uint8Array(10) }),
        arriveMs: ORIGIN + 100,
      },
    ];
    const tl = timeline();
    play(tl, arrivals, ORIGIN + 1000);
    const st = tl.stats();
    assert.equal(st.duplicates, 1);
    assert.equal(st.drops.unknownPayloadType, 1);
    assert.equal(st.packets, 50);
    assert.equal(st.lost, 0);
  });

  it('G.722 plays out at 16 kHz (timestamps at 8 kHz) with its tone', function () {
    const bits = encodeG722(createG722State(), tone(1000, 16000, 48000));
    const pkts = packetize(bits, { pt: 9, ssrc: 8, bytesPerPacket: 160, tsPerPacket: 160 });
    const tl = timeline({
      payloadTypes: new Map([
        [9, 'G722'],
        [101, 'telephone-event'],
      ]),
    });
    assert.equal(tl.sampleRate, 16000);
    const out = play(tl, at(pkts), ORIGIN + 3000);
    assert.equal(out.length, 48000);
    assert.ok(Math.abs(zeroCrossingHz(out.subarray(400), 16000) - 1000) < 5);
    assert.equal(tl.stats().codec, 'G722');
  });

  it('µ-law into a 16 kHz stream is upsampled in place; nothing received is silence', function () {
    const pkts = packetize(encodeUlaw(tone(440, 8000, 8000)), { pt: 0, ssrc: 8 });
    const tl = timeline({ sampleRate: 16000 });
    const out = play(tl, at(pkts, 500), ORIGIN + 2000);
    assert.equal(out.length, 32000);
    assert.equal(rms(out, 0, 8000), 0);
    assert.ok(Math.abs(zeroCrossingHz(out.subarray(8100, 24000), 16000) - 440) < 5);
    assert.equal(rms(out, 24100, 32000), 0);
  });
});
