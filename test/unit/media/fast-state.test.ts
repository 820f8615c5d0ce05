import assert from 'node:assert/strict';
import type { Socket } from 'node:dgram';
import { silentLogger } from '../../../agent/src/common/index.js';
import {
  buildRtpPacket,
  buildTelephoneEventPayload,
  createMediaReceiver,
  encodeAlaw,
  encodeUlaw,
  type AllocatedStream,
  type MediaReceiver,
  type RtpStream,
} from '../../../agent/src/media/index.js';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  FAST_STATE,
  FAST_STATE_FIELDS,
  FastState,
  SLOT,
  SLOT_FIELDS,
} from '../../../agent/src/media/fast-state.js';
import { fastPathUnavailable, nativeReaderAvailable } from '../../../agent/src/media/native-reader.js';
import { classifySeq, updateJitter } from '../../../agent/src/media/stats.js';
import { until } from '../../helpers/until.js';
import { concat, randomBase, send, sender, tone } from './tone.js';

/** What must match between the native fast path and the JavaScript path (no arrival times). */
function comparable(s: RtpStream): Record<string, unknown> {
  const { jitterMs, rFactor, mos, firstPacketMs, lastPacketMs, rtcp, source, ...rest } = s.stats();
  void [jitterMs, rFactor, mos, firstPacketMs, lastPacketMs, source];
  return { ...rest, rtcpPackets: rtcp.packets, dtmf: s.dtmfEvents().map((e) => e.digit) };
}

/** Datagrams the stream has accounted for, one way or another. */
function observed(s: AllocatedStream): number {
  const st = s.stream.stats();
  return (
    st.packets +
    st.duplicates +
    st.late +
    st.rtcp.packets +
    Object.values(st.drops).reduce((a, b) => a + b, 0)
  );
}

/** The samples from the first audible one on: both streams anchor at their own arrival ms. */
function fromFirstSound(pcm: Int16Array): Int16Array {
  const i = pcm.findIndex((v) => v !== 0);
  return i < 0 ? pcm.subarray(pcm.length) : pcm.subarray(i);
}

describe('media/fast-state', () => {
  it('keeps the RFC 3550 sequence and jitter state in the shared array, as stats.ts computes it', () => {
    const state = new FastState();
    const st = state.array;
    const seq = state;
    const jitter = state;
    const res = { verdict: 'first' as const, ext: 0 } as { verdict: 'first' | 'newest'; ext: number };
    classifySeq(seq, 65535, res);
    classifySeq(seq, 0, res);
    assert.equal(res.verdict, 'newest');
    assert.equal(st[FAST_STATE.SEQ_CYCLES], 65536);
    assert.equal(st[FAST_STATE.SEQ_MAX], 0);
    updateJitter(jitter, 1000, 8000, 8000);
    updateJitter(jitter, 1030, 8160, 8000);
    assert.equal(st[FAST_STATE.JITTER_HAS_TRANSIT], 1);
    assert.equal(st[FAST_STATE.JITTER], 80 / 16);
    state.resetJitter();
    assert.equal(jitter.hasTransit, false);
    assert.equal(st[FAST_STATE.JITTER], 0);
  });

  it('has the layout of native/rtp-reader/reader.h: the same fields at the same indexes', () => {
    const c = readFileSync(new URL('../../../native/rtp-reader/reader.h', import.meta.url), 'utf8');
    const block = /#define STATE_FIELDS\(X\)([^]*?)\n#define/.exec(c);
    assert.ok(block !== null, 'STATE_FIELDS in native/rtp-reader/reader.h');
    const names = [...block[1]!.matchAll(/X\((\w+)\)/g)].map((m) => m[1]!);
    assert.deepEqual(
      names.map((n, i) => [n, i]),
      Object.entries(FAST_STATE),
    );
    assert.equal(names.length, FAST_STATE_FIELDS);
    const slot = /enum \{ (S_IDX, S_POS, S_LEN, S_PT), SLOT_FIELDS \}/.exec(c);
    assert.ok(slot !== null, 'the slot enum in native/rtp-reader/reader.h');
    assert.deepEqual(
      slot[1]!.split(', ').map((n, i) => [n.slice(2), i]),
      Object.entries(SLOT),
    );
    assert.equal(SLOT_FIELDS, 4);
  });

  it('names every field of the shared array: each accessor reads and writes its own index', () => {
    const state = new FastState() as unknown as Record<string, unknown> & { array: Float64Array };
    assert.equal(state.array.length, FAST_STATE_FIELDS);
    assert.equal(state.maxIdx, -1);
    assert.equal(state.needAnchor, true);
    assert.equal(state.lastPacketMs, null);
    const seen = new Set<number>();
    for (const key of Object.getOwnPropertyNames(Object.getPrototypeOf(state))) {
      if (
        key === 'constructor' ||
        typeof Object.getOwnPropertyDescriptor(Object.getPrototypeOf(state), key)?.get !== 'function'
      )
        continue;
      const before = Float64Array.from(state.array);
      state[key] = typeof state[key] === 'boolean' ? !state[key] : 7;
      const changed = state.array.findIndex((v, i) => !Object.is(v, before[i]));
      assert.ok(changed >= 0, key);
      seen.add(changed);
    }
    assert.equal(seen.size, FAST_STATE_FIELDS);
  });

  it('the built addon exports the same layout', function () {
    let addon: { stateLayout?: Record<string, number> } | undefined;
    try {
      addon = createRequire(import.meta.url)('../../../native/build/rtp-reader.node') as typeof addon;
    } catch {
      this.skip();
    }
    assert.deepEqual(addon?.stateLayout, { ...FAST_STATE, FIELDS: FAST_STATE_FIELDS, SLOT_FIELDS });
  });

  describe('the native reader stores what push() would', function () {
    if (!nativeReaderAvailable()) {
      it.skip('native reader not built');
      return;
    }
    let rx: MediaReceiver | undefined;
    const socks: Socket[] = [];
    afterEach(async () => {
      await rx?.close();
      rx = undefined;
      for (const s of socks.splice(0)) s.close();
    });

    it('agrees with the layout the addon was built with', () => {
      assert.equal(fastPathUnavailable(), null);
    });

    for (const [codec, payloadType, encode] of [
      ['PCMU', 0, encodeUlaw],
      ['PCMA', 8, encodeAlaw],
    ] as const)
      it(`${codec}: a stream with the fast path and one without record the same audio and statistics`, async function () {
        this.timeout(20000);
        const low = randomBase();
        rx = await createMediaReceiver({
          reader: 'native',
          portRange: { low, high: low + 19 },
          log: silentLogger(),
        });
        assert.equal(rx.fastPath, true);
        const originMs = Date.now();
        const fast = await rx.allocate('fast', { originMs });
        const slow = await rx.allocate('slow', { originMs, fastPath: false });
        const [tx, stranger] = [await sender(), await sender()];
        socks.push(tx, stranger);

        // 780 ms of audio, sent at once: timestamps stay within max_ahead (1 s) of the wall clock,
        // so every anchor after the first is placed by timestamp, identically for both streams.
        const pcm = encode(tone(440, 8000, 160 * 39));
        const audio = (seq: number, ts: number, ssrc: number, k: number, extra: object = {}): Buffer =>
          buildRtpPacket({
            payloadType,
            seq,
            timestamp: ts,
            ssrc,
            payload: pcm.subarray(k * 160, k * 160 + 160),
            ...extra,
          });
        const plan: { buf: Buffer; from?: Socket }[] = [];
        // In order across the sequence wrap, with one lost packet (k = 6).
        for (let k = 0; k < 12; k++)
          if (k !== 6) plan.push({ buf: audio((65530 + k) & 0xffff, 1000 + k * 160, 7, k) });
        // Reordered and duplicated.
        plan.push({ buf: audio(7, 1000 + 14 * 160, 7, 14) });
        plan.push({ buf: audio(6, 1000 + 13 * 160, 7, 13) });
        plan.push({ buf: audio(6, 1000 + 13 * 160, 7, 13) });
        // Another source on the same port (latched away), garbage, a padded packet, RTCP muxed.
        plan.push({ buf: audio(8, 1000 + 15 * 160, 99, 15), from: stranger });
        plan.push({ buf: Buffer.from([0x80, 0x00, 0x01]) });
        plan.push({ buf: audio(8, 1000 + 15 * 160, 7, 15, { padding: 4 }) });
        plan.push({ buf: Buffer.from([0x80, 201, 0, 1, 0, 0, 0, 7]) });
        for (let k = 16; k < 20; k++) plan.push({ buf: audio(k - 7, 1000 + k * 160, 7, k, { csrcs: [5] }) });
        // A DTMF digit (three events, the last with the end bit), then audio again.
        for (let e = 0; e < 3; e++)
          plan.push({
            buf: buildRtpPacket({
              payloadType: 101,
              seq: 13 + e,
              timestamp: 1000 + 20 * 160,
              ssrc: 7,
              payload: buildTelephoneEventPayload(5, e === 2, 10, 160 * (e + 1)),
            }),
          });
        for (let k = 23; k < 30; k++) plan.push({ buf: audio(k - 7, 1000 + k * 160, 7, k) });
        // A larger packet (the ring's slots grow), then a new source.
        plan.push({
          buf: buildRtpPacket({
            payloadType,
            seq: 23,
            timestamp: 1000 + 30 * 160,
            ssrc: 7,
            payload: pcm.subarray(30 * 160, 32 * 160),
          }),
        });
        for (let k = 32; k < 39; k++) plan.push({ buf: audio(500 + k, 90000 + k * 160, 8, k) });

        // One at a time: a datagram that reaches JavaScript disarms the fast path until push() has
        // seen it, so a burst would mostly take the JavaScript path (correct, but not the test).
        for (const [i, p] of plan.entries()) {
          await send(p.from ?? tx, p.buf, fast.rtpPort);
          await send(p.from ?? tx, p.buf, slow.rtpPort);
          await until(() => observed(fast) === i + 1 && observed(slow) === i + 1, `packet ${i} seen`, 3000);
        }
        // 36 accepted: 11 + 2 reordered + 1 padded + 4 + 3 DTMF + 7 + 1 large + 7 from the new source.
        const done = (s: AllocatedStream): boolean => s.stream.stats().packets === 36;
        await until(() => done(fast) && done(slow), 'both streams took every packet', 5000);

        // Every packet that continues its stream: the ones after the first of each source and after
        // each packet JavaScript had to see (reordered, duplicate, foreign, garbage, padded, RTCP,
        // DTMF, large), bar the one that made the ring grow.
        assert.equal(fast.stream.fastPathPackets, 25);
        assert.equal(slow.stream.fastPathPackets, 0);
        assert.deepEqual(comparable(fast.stream), comparable(slow.stream));
        assert.equal(fast.stream.stats().drops.wrongSource, 1);
        assert.deepEqual(comparable(fast.stream).dtmf, ['5']);

        const end = originMs + 3000;
        // Reads of 100 ms: most lie whole inside one (decoded natively), some straddle (in JS).
        const parts: [Int16Array[], Int16Array[]] = [[], []];
        for (let t = originMs; t < end; t += 100)
          for (const [i, s] of [fast, slow].entries()) parts[i]!.push(s.stream.read(t));
        const a = concat([...parts[0], fast.stream.drain(end)]);
        const b = concat([...parts[1], slow.stream.drain(end)]);
        assert.ok(fast.stream.fastPathReads > 0, `native reads ${fast.stream.fastPathReads}`);
        assert.equal(slow.stream.fastPathReads, 0);
        const fa = fromFirstSound(a);
        const fb = fromFirstSound(b);
        const n = Math.min(fa.length, fb.length);
        assert.ok(n > 160 * 30, `audible samples: ${n}`);
        assert.deepEqual(fa.subarray(0, n), fb.subarray(0, n));
      });

    it('lets go of a released stream: a socket that reuses its id stores nothing into it', async function () {
      this.timeout(10000);
      const low = randomBase();
      rx = await createMediaReceiver({
        reader: 'native',
        portRange: { low, high: low + 9 },
        log: silentLogger(),
      });
      const first = await rx.allocate('first');
      const tx = await sender();
      socks.push(tx);
      const payload = encodeUlaw(tone(1000, 8000, 160));
      const packet = (seq: number, ssrc: number): Buffer =>
        buildRtpPacket({ payloadType: 0, seq, timestamp: seq * 160, ssrc, payload });
      await send(tx, packet(0, 1), first.rtpPort);
      await until(
        () => first.stream.stats().packets === 1,
        'the first packet, which arms the fast path',
        3000,
      );
      for (let k = 1; k < 10; k++) await send(tx, packet(k, 1), first.rtpPort);
      await until(() => first.stream.stats().packets === 10, 'ten packets', 3000);
      assert.equal(first.stream.fastPathPackets, 9, `fast path stored ${first.stream.fastPathPackets}`);
      await rx.release(first.stream);
      const stored = first.stream.fastPathPackets;
      // The next pair takes the released socket ids; with the fast path off for it, a binding
      // left behind would show as packets stored into the first stream's arrays.
      const next = await rx.allocate('next', { fastPath: false });
      for (let k = 0; k < 10; k++) await send(tx, packet(k, 1), next.rtpPort);
      await until(() => next.stream.stats().packets === 10, 'ten packets on the next stream', 3000);
      assert.equal(next.stream.fastPathPackets, 0);
      assert.equal(first.stream.fastPathPackets, stored);
      assert.equal(first.stream.stats().packets, 10);
    });
  });
});
