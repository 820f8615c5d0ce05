import assert from 'node:assert/strict';
import {
  DEFAULT_PAYLOAD_TYPES,
  MAX_RING_SLOTS,
  StreamTimeline,
  buildRtpPacket,
  buildTelephoneEventPayload,
  createG722State,
  createRtpHeader,
  decodeUlaw,
  encodeG722,
  encodeUlaw,
  parseRtp,
  type TimelineOptions,
} from '../../../agent/src/media/index.js';
import { concat, packetize, powerAt, rms, tone, zeroCrossingHz, type GenPacket } from './tone.js';

const ORIGIN = 1_700_000_000_000;

interface Arrival {
  readonly buf: Buffer;
  readonly arriveMs: number;
}

/**
 * Feeds arrivals on a fake 20 ms tick, calling read(t) after each tick's arrivals and
 * read(endMs, final) at the end.
 */
function feed(
  tl: StreamTimeline,
  arrivals: readonly Arrival[],
  endMs: number,
  read: (t: number, final: boolean) => void,
): void {
  const sorted = [...arrivals].sort((a, b) => a.arriveMs - b.arriveMs);
  const h = createRtpHeader();
  let i = 0;
  for (let t = ORIGIN; t < endMs; t += 20) {
    while (i < sorted.length && sorted[i]!.arriveMs <= t) {
      const p = sorted[i++]!;
      assert.equal(parseRtp(p.buf, p.buf.length, h), null);
      tl.push(h, p.buf, p.arriveMs);
    }
    read(t, false);
  }
  read(endMs, true);
}

/** Plays arrivals through read() each tick and drain() at endMs. */
function play(tl: StreamTimeline, arrivals: readonly Arrival[], endMs: number): Int16Array {
  const parts: Int16Array[] = [];
  feed(tl, arrivals, endMs, (t, final) => parts.push(final ? tl.drain(t) : tl.read(t)));
  return concat(parts);
}

/** Like play(), through readInto with a small destination, so every read is split in chunks. */
function playInto(tl: StreamTimeline, arrivals: readonly Arrival[], endMs: number, chunk: number) {
  const parts: Int16Array[] = [];
  const audibleFlags: boolean[] = [];
  const dst = new Int16Array(chunk).fill(12345);
  feed(tl, arrivals, endMs, (t, final) => {
    for (;;) {
      const due = tl.due(t, final);
      const n = tl.readInto(t, dst, final);
      assert.equal(n, Math.min(due, chunk));
      if (n === 0) return;
      parts.push(dst.slice(0, n));
      audibleFlags.push(tl.lastReadAudible);
      if (!tl.lastReadAudible) assert.ok(dst.subarray(0, n).every((x) => x === 0));
      if (n < chunk) return;
    }
  });
  return { out: concat(parts), audibleFlags };
}

function timeline(extra: Partial<TimelineOptions> = {}): StreamTimeline {
  return new StreamTimeline({ originMs: ORIGIN, payloadTypes: DEFAULT_PAYLOAD_TYPES, ...extra });
}

const at = (pkts: readonly GenPacket[], offsetMs = 0): Arrival[] =>
  pkts.map((p) => ({ buf: p.buf, arriveMs: ORIGIN + offsetMs + p.atMs }));

/** What a perfect receiver outputs for a µ-law payload: its G.711 decode. */
function ulawRef(bytes: Uint8Array): Int16Array {
  const out = new Int16Array(bytes.length);
  decodeUlaw(bytes, 0, bytes.length, out, 0);
  return out;
}

describe('media/timeline', () => {
  it('10 s of µ-law with 5% loss and reordering: exact length, exact loss, samples in place', function () {
    this.timeout(10000);
    const ulaw = encodeUlaw(tone(440, 8000, 80000));
    const ref = ulawRef(ulaw);
    const pkts = packetize(ulaw, { pt: 0, ssrc: 0x1234, seq0: 65300 });
    const lost = new Set<number>();
    for (let k = 7; k < pkts.length; k += 20) lost.add(k); // exactly 5%, across the seq wrap
    const arrivals: Arrival[] = [];
    const order: { k: number; arriveMs: number }[] = [];
    pkts.forEach((p, k) => {
      if (lost.has(k)) return;
      // Every 13th packet is held back 45 ms: it arrives after up to two newer ones.
      const delay = k % 13 === 5 ? 45 : 0;
      arrivals.push({ buf: p.buf, arriveMs: ORIGIN + p.atMs + delay });
      order.push({ k, arriveMs: ORIGIN + p.atMs + delay });
    });
    let reordered = 0;
    let newest = -1;
    for (const o of order.sort((x, y) => x.arriveMs - y.arriveMs)) {
      if (o.k < newest) reordered++;
      newest = Math.max(newest, o.k);
    }
    assert.ok(reordered > 30);
    const tl = timeline();
    const out = play(tl, arrivals, ORIGIN + 10_100);
    assert.equal(out.length, 80800);
    const st = tl.stats();
    assert.equal(st.lost, lost.size);
    assert.equal(st.packets, pkts.length - lost.size);
    assert.equal(st.late, 0);
    assert.equal(st.outOfOrder, reordered);
    assert.equal(st.duplicates, 0);
    assert.equal(st.reanchors, 0);
    assert.ok(st.mos < 4 && st.mos > 1, `mos ${st.mos}`);
    for (let k = 0; k < pkts.length; k++) {
      for (let i = k * 160; i < (k + 1) * 160; i += 37)
        assert.equal(out[i], lost.has(k) ? 0 : ref[i], `packet ${k} sample ${i}`);
    }
    assert.ok(powerAt(out, 8000, 440) > 100 * powerAt(out, 8000, 600));
  });

  it('readInto in chunks smaller than a read gives the same samples as read(), and flags silence', function () {
    const ulaw = encodeUlaw(tone(440, 8000, 16000));
    const pkts = packetize(ulaw, { pt: 0, ssrc: 0x99, seq0: 100 });
    // A second of silence (packets 25-74 never sent) in the middle of two seconds.
    const arrivals = at(pkts).filter((_, k) => k < 25 || k >= 75);
    const ref = play(timeline(), arrivals, ORIGIN + 2100);
    const { out, audibleFlags } = playInto(timeline(), arrivals, ORIGIN + 2100, 97);
    assert.equal(out.length, ref.length);
    assert.deepEqual([...out], [...ref]);
    assert.ok(audibleFlags.includes(true));
    assert.ok(audibleFlags.filter((f) => !f).length >= 30, 'the gap reads as flagged silence');
  });

  it('packets inside one large batch buffer (word-aligned or not) play the same as separate buffers', function () {
    const ulaw = encodeUlaw(tone(440, 8000, 8000));
    const arrivals = at(packetize(ulaw, { pt: 0, ssrc: 0x77, seq0: 9 }));
    const ref = play(timeline(), arrivals, ORIGIN + 1100);
    // The native reader hands packets as views into one batch buffer; odd offsets take the
    // byte copy, aligned ones the word copy, and the batch is rewritten between packets.
    for (const skew of [0, 1, 2, 3]) {
      const batch = Buffer.alloc(128 * 1024);
      const views = arrivals.map((a, k) => {
        const offset = 4096 + ((k * 200) % 60000) + skew;
        a.buf.copy(batch, offset);
        return { buf: batch.subarray(offset, offset + a.buf.length), arriveMs: a.arriveMs, src: a.buf };
      });
      const tl = timeline();
      const h = createRtpHeader();
      const parts: Int16Array[] = [];
      let i = 0;
      for (let t = ORIGIN; t < ORIGIN + 1100; t += 20) {
        while (i < views.length && views[i]!.arriveMs <= t) {
          const v = views[i++]!;
          v.src.copy(batch, v.buf.byteOffset - batch.byteOffset);
          assert.equal(parseRtp(v.buf, v.buf.length, h), null);
          tl.push(h, v.buf, v.arriveMs);
          batch.fill(
            0xa5,
            v.buf.byteOffset - batch.byteOffset,
            v.buf.byteOffset - batch.byteOffset + v.buf.length,
          );
        }
        parts.push(tl.read(t));
      }
      parts.push(tl.drain(ORIGIN + 1100));
      assert.deepEqual([...concat(parts)], [...ref], `skew ${skew}`);
    }
  });

  it('a reader stalled for 3 s (10 ms packets) loses nothing: the ring grows; past its limit the oldest give way', function () {
    const ulaw = encodeUlaw(tone(440, 8000, 24000));
    // 300 packets of 10 ms, all arriving before the first read: 10× the initial 32 slots.
    const pkts = packetize(ulaw, { pt: 0, ssrc: 0x51, seq0: 65500, bytesPerPacket: 80, tsPerPacket: 80 });
    const h = createRtpHeader();
    const tl = timeline();
    for (const p of pkts) {
      assert.equal(parseRtp(p.buf, p.buf.length, h), null);
      tl.push(h, p.buf, ORIGIN + p.atMs / 2); // ptime is 10 ms; atMs assumed 20 ms per packet
    }
    const out = concat([tl.read(ORIGIN + 3100), tl.drain(ORIGIN + 3100)]);
    assert.equal(tl.stats().drops.overflow, 0);
    const ref = ulawRef(ulaw);
    for (let i = 0; i < ref.length; i += 41) assert.equal(out[i], ref[i], `sample ${i}`);

    // 700 packets unread exceed MAX_RING_SLOTS (512): exactly the oldest 188 are dropped.
    const long = encodeUlaw(tone(440, 8000, 56000));
    const tl2 = timeline();
    for (const p of packetize(long, { pt: 0, ssrc: 0x52, bytesPerPacket: 80, tsPerPacket: 80 })) {
      assert.equal(parseRtp(p.buf, p.buf.length, h), null);
      tl2.push(h, p.buf, ORIGIN + p.atMs / 2);
    }
    tl2.drain(ORIGIN + 7100);
    assert.equal(tl2.stats().drops.overflow, 700 - MAX_RING_SLOTS);
  });

  // Issue 14: a stalled event loop (SIGSTOP, GC, slow disk) neither reads nor ingests; the kernel
  // queues what arrives and hands it over at once afterwards — before the first read, which the
  // receiver guarantees (catch-up). The arrival times of that burst say nothing (all the same);
  // the RTP timestamps say where each packet belongs.
  it('after a 1.5 s stall the queued burst is placed by RTP timestamp: a later gap stays put, only what the kernel dropped is lost', function () {
    this.timeout(10000);
    const ulaw = encodeUlaw(tone(440, 8000, 48000));
    const pkts = packetize(ulaw, { pt: 0, ssrc: 0x77 });
    const stallFrom = 1500;
    const stallTo = 3000;
    const dropped = (k: number): boolean => k >= 140 && k < 145; // 2.8-2.9 s: socket buffer full
    const gap = (k: number): boolean => k >= 200 && k < 225; // 4.0-4.5 s: nothing sent
    const tl = timeline();
    const h = createRtpHeader();
    const parts: Int16Array[] = [];
    const push = (k: number, arriveMs: number): void => {
      const p = pkts[k]!;
      assert.equal(parseRtp(p.buf, p.buf.length, h), null);
      tl.push(h, p.buf, arriveMs);
    };
    let k = 0;
    for (let t = ORIGIN; t < ORIGIN + 6000; t += 20) {
      const stalled = t >= ORIGIN + stallFrom && t < ORIGIN + stallTo;
      for (; k < pkts.length && ORIGIN + pkts[k]!.atMs <= t; k++) {
        if (dropped(k) || gap(k)) continue;
        // Queued in the socket during the stall: handed over, all at once, when it ends and
        // before the next read (nothing reads in between), so pushing them now is the same.
        push(k, stalled ? ORIGIN + stallTo : t);
      }
      if (!stalled) parts.push(tl.read(t));
    }
    parts.push(tl.drain(ORIGIN + 6000));
    const out = concat(parts);
    assert.equal(out.length, 48000);
    const ms = (x: number): number => (x * 8000) / 1000;
    assert.ok(rms(out, ms(100), ms(stallFrom)) > 5000, 'before the stall');
    assert.ok(rms(out, ms(stallFrom), ms(2800)) > 5000, 'sent during the stall, in place');
    assert.equal(rms(out, ms(2800), ms(2900)), 0, 'what the kernel dropped is silence of its length');
    assert.ok(rms(out, ms(2900), ms(4000)) > 5000, 'after the stall');
    assert.equal(rms(out, ms(4000), ms(4500)), 0, 'the gap where it was sent');
    assert.ok(rms(out, ms(4500), ms(5900)) > 5000, 'after the gap, to the end');
    const ref = ulawRef(ulaw);
    for (let i = ms(stallFrom); i < ms(2800); i += 37) assert.equal(out[i], ref[i], `sample ${i}`);
    const st = tl.stats();
    assert.equal(st.reanchors, 0);
    assert.equal(st.late, 0);
    assert.equal(st.lost, 30, 'the 5 dropped and the 25 not sent');
  });

  it('readInto with final closes an unended DTMF event, as drain() does', function () {
    const tl = timeline();
    const h = createRtpHeader();
    const ev = buildTelephoneEventPayload(5, false, 10, 800);
    const buf = buildRtpPacket({
      payloadType: 101,
      seq: 1,
      timestamp: 1000,
      ssrc: 7,
      marker: true,
      payload: ev,
    });
    assert.equal(parseRtp(buf, buf.length, h), null);
    tl.push(h, buf, ORIGIN + 20);
    const dst = new Int16Array(4096);
    tl.readInto(ORIGIN + 500, dst);
    assert.equal(tl.dtmfEventCount, 0);
    while (tl.readInto(ORIGIN + 500, dst, true) === dst.length);
    assert.equal(tl.dtmfEventCount, 1);
    assert.equal(tl.dtmfEvents()[0]!.digit, '5');
  });

  it('a 5 s hold with timestamps that keep counting gives 5 s of silence in place', function () {
    this.timeout(10000);
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
    this.timeout(10000);
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
    this.timeout(10000);
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
    this.timeout(10000);
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
    this.timeout(10000);
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
    this.timeout(10000);
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
    this.timeout(10000);
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
    this.timeout(10000);
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
    this.timeout(10000);
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
    this.timeout(10000);
    const pkts = packetize(encodeUlaw(tone(440, 8000, 8000)), { pt: 0, ssrc: 8 });
    const tl = timeline({ sampleRate: 16000 });
    const out = play(tl, at(pkts, 500), ORIGIN + 2000);
    assert.equal(out.length, 32000);
    assert.equal(rms(out, 0, 8000), 0);
    assert.ok(Math.abs(zeroCrossingHz(out.subarray(8100, 24000), 16000) - 440) < 5);
    assert.equal(rms(out, 24100, 32000), 0);
  });
});
