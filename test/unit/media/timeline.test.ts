import assert from 'node:assert/strict';
import {
  MAX_RING_SLOTS,
  buildRtpPacket,
  buildTelephoneEventPayload,
  createRtpHeader,
  encodeUlaw,
  parseRtp,
} from '../../../agent/src/media/index.js';
import { concat, packetize, powerAt, rms, tone } from './tone.js';
import { ORIGIN, at, play, playInto, timeline, ulawRef, type Arrival } from './timeline-feed.js';

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
});
