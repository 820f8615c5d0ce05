import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { createLogger, silentLogger } from '../../../agent/src/common/index.js';
import {
  createMediaReceiver,
  encodeUlaw,
  type AllocatedStream,
  type MediaReceiver,
  type RtpStream,
} from '../../../agent/src/media/index.js';
import { until } from '../../helpers/until.js';
import { concat, packetize, randomBase, rms, send, sender, tone, zeroCrossingHz } from './tone.js';

for (const reader of ['native', 'dgram'] as const)
  describe(`media/receiver (${reader})`, () => {
    let rx: MediaReceiver | undefined;
    let tx: Socket | undefined;
    afterEach(async () => {
      await rx?.close();
      tx?.close();
      rx = undefined;
      tx = undefined;
    });

    it('allocates even/odd pairs and records 10 s of µ-law sent over 127.0.0.1 (fake clock)', async function () {
      this.timeout(15000);
      const now = { t: 5_000_000 };
      const low = randomBase();
      rx = await createMediaReceiver({
        reader,
        portRange: { low, high: low + 99 },
        log: silentLogger(),
        clock: () => now.t,
      });
      const a = await rx.allocate('caller', { originMs: now.t });
      const b = await rx.allocate('agent', { originMs: now.t });
      for (const x of [a, b]) {
        assert.equal(x.rtpPort % 2, 0);
        assert.equal(x.rtcpPort, x.rtpPort + 1);
        assert.ok(x.rtpPort >= low && x.rtcpPort <= low + 99);
      }
      assert.notEqual(a.rtpPort, b.rtpPort);
      tx = await sender();
      const origin = now.t;
      const pa = packetize(encodeUlaw(tone(440, 8000, 80000)), { pt: 0, ssrc: 11 });
      const pb = packetize(encodeUlaw(tone(1000, 8000, 80000)), { pt: 0, ssrc: 22 });
      const outA: Int16Array[] = [];
      const outB: Int16Array[] = [];
      // Time-compressed: each 200 ms batch is sent at once with the fake clock at its start.
      for (let batch = 0; batch < 50; batch++) {
        now.t = origin + batch * 200;
        for (let k = batch * 10; k < batch * 10 + 10; k++) {
          await send(tx, pa[k]!.buf, a.rtpPort);
          await send(tx, pb[k]!.buf, b.rtpPort);
        }
        await until(
          () => a.stream.stats().packets === batch * 10 + 10 && b.stream.stats().packets === batch * 10 + 10,
          'both streams of the batch',
          2000,
        );
        outA.push(a.stream.read(now.t + 200));
        outB.push(b.stream.read(now.t + 200));
      }
      outA.push(a.stream.drain(origin + 10_000));
      outB.push(b.stream.drain(origin + 10_000));
      const left = concat(outA);
      const right = concat(outB);
      assert.equal(left.length, 80000);
      assert.equal(right.length, 80000);
      assert.ok(Math.abs(zeroCrossingHz(left, 8000) - 440) < 3);
      assert.ok(Math.abs(zeroCrossingHz(right, 8000) - 1000) < 3);
      assert.ok(rms(left) > 7000 && rms(right) > 7000);
      const st = a.stream.stats();
      assert.equal(st.packets, 500);
      assert.equal(st.lost, 0);
      assert.equal(st.late, 0);
      assert.equal(st.source?.address, '127.0.0.1');
      assert.equal(st.source?.port, tx.address().port);
    });

    // Issue 14: after an event-loop stall the recorder's timer may read before the poll phase has
    // drained what the kernel queued meanwhile; that audio was emitted as silence and then arrived
    // "late" (re-anchored after the stall). Now the read catches up first (native) or holds (dgram).
    it('a read right after an event-loop stall does not run ahead of the datagrams queued meanwhile', async function () {
      this.timeout(15000);
      const low = randomBase();
      rx = await createMediaReceiver({ reader, portRange: { low, high: low + 99 }, log: silentLogger() });
      const a = await rx.allocate('caller', { originMs: Date.now() });
      tx = await sender();
      const pkts = packetize(encodeUlaw(tone(440, 8000, 8000)), { pt: 0, ssrc: 31 });
      const out: Int16Array[] = [];
      for (let k = 0; k < 10; k++) await send(tx, pkts[k]!.buf, a.rtpPort);
      await until(() => a.stream.stats().packets === 10, 'the first 10 packets', 2000);
      out.push(a.stream.read(Date.now()));
      // The other 40 go out now (node:dgram sends an IP literal after a nextTick) and wait in
      // the receiving socket: the loop is blocked for a second before it can poll again.
      for (let k = 10; k < 50; k++) tx.send(pkts[k]!.buf, a.rtpPort, '127.0.0.1');
      await new Promise<void>((r) => process.nextTick(r));
      const stallEnd = Date.now() + 1000;
      let spins = 0;
      while (Date.now() < stallEnd) spins++;
      assert.ok(spins > 0);
      // The first read after the stall, before any poll phase, as the recorder's timer does.
      out.push(a.stream.read(Date.now()));
      await until(() => a.stream.stats().packets === 50, 'all 50 packets', 3000);
      await new Promise((r) => setTimeout(r, 150));
      out.push(a.stream.read(Date.now()));
      out.push(a.stream.drain(Date.now()));
      const pcm = concat(out);
      const st = a.stream.stats();
      assert.equal(st.late, 0, 'late packets');
      assert.equal(st.reanchors, 0, 're-anchors');
      // All 50 packets' audio, contiguous: one second of tone and no silence inside it.
      let first = -1;
      let last = -1;
      for (let i = 0; i + 160 <= pcm.length; i += 160) {
        if (rms(pcm, i, i + 160) > 2000) {
          if (first < 0) first = i;
          last = i;
        }
      }
      assert.ok(first >= 0, 'no audio');
      assert.ok(Math.abs(last - first - 49 * 160) <= 160, `audio spans ${(last - first) / 8} ms, sent 980`);
      for (let i = first; i < last; i += 160)
        assert.ok(rms(pcm, i, i + 160) > 500, `silence at ${(i - first) / 8} ms`);
    });

    // The native reader takes each datagram's arrival from the kernel (SO_TIMESTAMPNS): a stream
    // whose first packets arrive during a stall is anchored when they arrived, not when the loop
    // got to them.
    if (reader === 'native')
      it('a stream that starts during a stall is anchored at the kernel arrival time', async function () {
        this.timeout(15000);
        const low = randomBase();
        rx = await createMediaReceiver({ reader, portRange: { low, high: low + 99 }, log: silentLogger() });
        const originMs = Date.now();
        const a = await rx.allocate('caller', { originMs });
        tx = await sender();
        const pkts = packetize(encodeUlaw(tone(440, 8000, 4000)), { pt: 0, ssrc: 32 });
        for (const p of pkts) tx.send(p.buf, a.rtpPort, '127.0.0.1');
        await new Promise<void>((r) => process.nextTick(r));
        const sentMs = Date.now();
        const stallEnd = sentMs + 1000;
        let spins = 0;
        while (Date.now() < stallEnd) spins++;
        assert.ok(spins > 0);
        const pcm = concat([a.stream.read(Date.now()), a.stream.drain(Date.now() + 600)]);
        const st = a.stream.stats();
        assert.equal(st.packets, 25);
        assert.ok(
          st.firstPacketMs !== null && st.firstPacketMs <= sentMs + 5,
          `first packet at ${st.firstPacketMs}, sent ${sentMs}`,
        );
        let first = -1;
        for (let i = 0; i + 80 <= pcm.length && first < 0; i += 80) if (rms(pcm, i, i + 80) > 2000) first = i;
        const startMs = first / 8;
        assert.ok(
          first >= 0 && startMs <= sentMs - originMs + 20,
          `audio starts at ${startMs} ms, sent at ${sentMs - originMs}`,
        );
      });

    it('drops garbage and packets from a second source, and reads RTCP on the odd port', async function () {
      this.timeout(10000);
      const low = randomBase();
      rx = await createMediaReceiver({
        reader,
        portRange: { low, high: low + 9 },
        log: silentLogger(),
      });
      const { stream, rtpPort, rtcpPort } = await rx.allocate('x');
      tx = await sender();
      const other = await sender();
      try {
        const [p0, p1] = packetize(encodeUlaw(tone(440, 8000, 320)), { pt: 0, ssrc: 1 });
        await send(tx, p0!.buf, rtpPort);
        await send(tx, Buffer.from('garbage!!!'), rtpPort);
        await send(other, p1!.buf, rtpPort);
        const rr = Buffer.alloc(8);
        rr[0] = 0x80;
        rr[1] = 201;
        rr.writeUInt16BE(1, 2);
        await send(tx, rr, rtcpPort);
        await until(
          () => {
            const s = stream.stats();
            return (
              s.packets === 1 &&
              s.drops.wrongSource === 1 &&
              s.rtcp.packets === 1 &&
              s.drops.short + s.drops.version === 1
            );
          },
          'the good packet, the wrong source, the RTCP and the garbage',
          3000,
        );
      } finally {
        other.close();
      }
    });

    it('reuses released pairs, reports exhaustion, and fails after close', async function () {
      this.timeout(10000);
      const low = randomBase();
      rx = await createMediaReceiver({
        reader,
        portRange: { low, high: low + 3 },
        log: silentLogger(),
      });
      const one = await rx.allocate('1');
      const two = await rx.allocate('2');
      await assert.rejects(
        rx.allocate('3'),
        (err: unknown) => (err as { code?: string }).code === 'CV_ERR_MEDIA_PORTS_EXHAUSTED',
      );
      await rx.release(one.stream);
      await rx.release(one.stream);
      assert.equal(rx.activeStreams, 1);
      const three = await rx.allocate('3');
      assert.equal(three.rtpPort, one.rtpPort);
      // A released stream can still be drained.
      assert.ok(one.stream.released);
      assert.ok(one.stream.drain(Date.now() + 1000).length > 0);
      const stranger = await createMediaReceiver({
        reader,
        portRange: { low: low + 10, high: low + 11 },
        log: silentLogger(),
      });
      const foreign: RtpStream = (await stranger.allocate('f')).stream;
      await assert.rejects(
        rx.release(foreign),
        (err: unknown) => (err as { code?: string }).code === 'CV_ERR_MEDIA_UNKNOWN_STREAM',
      );
      await stranger.close();
      await rx.close();
      await rx.close();
      assert.equal(rx.activeStreams, 0);
      assert.ok(two.stream.released);
      await assert.rejects(
        rx.allocate('4'),
        (err: unknown) => (err as { code?: string }).code === 'CV_ERR_MEDIA_CLOSED',
      );
    });

    it('refuses a bad port range or bind address with CV_ERR_MEDIA_CONFIG', async function () {
      this.timeout(2000);
      const bad = [
        { portRange: { low: 80, high: 2000 } },
        { portRange: { low: 40001, high: 40001 } },
        { portRange: { low: 40000, high: 70000 } },
        { portRange: { low: 40000, high: 40010 }, bindAddress: 'localhost' },
      ];
      for (const b of bad) {
        await assert.rejects(
          createMediaReceiver({
            reader,
            ...b,
            log: silentLogger(),
          }),
          (err: unknown) => (err as { code?: string }).code === 'CV_ERR_MEDIA_CONFIG',
        );
      }
    });

    it('counts an oversize datagram, skips ports another program holds, and hears a burst on many streams', async function () {
      this.timeout(15000);
      const low = randomBase();
      const squatter = createSocket('udp4');
      await new Promise<void>((resolve) => squatter.bind(low, '127.0.0.1', resolve));
      try {
        rx = await createMediaReceiver({ reader, portRange: { low, high: low + 199 }, log: silentLogger() });
        const streams: AllocatedStream[] = [];
        for (let i = 0; i < 40; i++) streams.push(await rx.allocate(`s${i}`));
        assert.ok(
          streams.every((x) => x.rtpPort !== low),
          'the held pair was skipped',
        );
        tx = await sender();
        // Not RTP (version 0), and too long for the native reader's slot: each layer drops it.
        const big = Buffer.alloc(3000);
        await send(tx, big, streams[0]!.rtpPort);
        // 40 streams × 25 packets sent back to back: far more than one read per socket.
        const pkts = packetize(encodeUlaw(tone(440, 8000, 4000)), { pt: 0, ssrc: 5 });
        for (const p of pkts) for (const x of streams) await send(tx, p.buf, x.rtpPort);
        await until(
          () => streams.every((x) => x.stream.stats().packets === pkts.length),
          'the burst on every stream',
          5000,
        );
        const first = streams[0]!.stream.stats();
        assert.equal(first.drops.oversize + first.drops.version, 1);
        if (reader === 'native') assert.equal(first.drops.oversize, 1);
      } finally {
        squatter.close();
      }
    });

    it('receives over IPv6 and reports the source as node:dgram would', async function () {
      this.timeout(10000);
      const low = randomBase();
      rx = await createMediaReceiver({
        reader,
        portRange: { low, high: low + 9 },
        bindAddress: '::1',
        log: silentLogger(),
      });
      const { stream, rtpPort } = await rx.allocate('v6');
      const s6 = createSocket('udp6');
      await new Promise<void>((resolve) => s6.bind(0, '::1', resolve));
      try {
        const [p0] = packetize(encodeUlaw(tone(440, 8000, 160)), { pt: 0, ssrc: 9 });
        await new Promise<void>((resolve, reject) =>
          s6.send(p0!.buf, rtpPort, '::1', (e) => (e ? reject(e) : resolve())),
        );
        await until(() => stream.stats().packets === 1, 'the IPv6 packet', 3000);
        assert.deepEqual(stream.stats().source, { address: '::1', port: s6.address().port });
      } finally {
        s6.close();
      }
    });
    it('every log line of a stream carries its call id', async () => {
      const lines: Record<string, unknown>[] = [];
      const log = createLogger('debug', {
        write: (l: string) => {
          lines.push(JSON.parse(l) as Record<string, unknown>);
        },
      });
      const low = randomBase();
      rx = await createMediaReceiver({ reader, portRange: { low, high: low + 99 }, log });
      const a = await rx.allocate('caller', { callId: 'abc123@sbc' });
      await rx.release(a.stream);
      const mine = lines.filter((l) => /media stream (allocated|released)/.test(String(l['msg'])));
      assert.equal(mine.length, 2);
      for (const l of mine) assert.equal(l['callId'], 'abc123@sbc', JSON.stringify(l));
    });
  });
