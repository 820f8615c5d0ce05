/**
 * SIPREC end to end against the real daemon: a fake SBC (test/kit/) places
 * calls over UDP and TCP on 127.0.0.1 and sends real-time RTP with a known tone per stream; the
 * recordings are then read back through callvaultctl (list/show/export/verify) and the WAVs
 * checked independently (Goertzel per channel, RMS for silence, length).
 *
 * One daemon serves this file (start-up costs seconds); each test places its own calls and
 * finds its recording by the Call-ID the daemon logged, so tests do not depend on each other.
 * media.rtp_timeout_ms is 3000 so hold/pause tests prove the timeout is suspended.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ctl, isolatedSets, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { channelFrequency, durationSeconds, type WavInfo } from '../helpers/audio.js';
import {
  SiprecClient,
  assertRecordedLength,
  customerCall,
  channelRms,
  exportWav,
  finishedRecord,
  rtpRangeSet,
  sleep,
  type AudioCodec,
  type MediaPlan,
  type SiprecCall,
  type Transport,
} from '../kit/index.js';

describe('integration: SIPREC calls end to end', function () {
  this.timeout(90_000);
  let work: string;
  let sets: string[];
  let daemon: RunningDaemon;
  const clients: SiprecClient[] = [];

  before(async function () {
    this.timeout(30_000);
    work = mkdtempSync(join(tmpdir(), 'cv-siprec-'));
    sets = await isolatedSets(join(work, 'storage'), [rtpRangeSet(), 'media.rtp_timeout_ms=3000']);
    daemon = await startDaemon(sets);
  });
  after(async () => {
    await daemon?.stop('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
  });

  async function client(transport: Transport = 'udp'): Promise<SiprecClient> {
    const c = await SiprecClient.to(daemon, transport);
    clients.push(c);
    return c;
  }

  let serial = 0;
  /** A unique caller number per call, so a failure names the call it is about. */
  function callerNumber(): string {
    serial++;
    return `+4670${String(Date.now() % 100000).padStart(5, '0')}${String(serial).padStart(2, '0')}`;
  }

  async function twoStreamCall(c: SiprecClient, codec: AudioCodec, number: string): Promise<SiprecCall> {
    return c.call(customerCall(number, 'kundtjanst', codec));
  }

  /**
   * Places a PCMU call and sends `plan`. A sender starved into a burst longer than `maxBurstMs`
   * moves its own packets, which says nothing of the recorder: that call is ended (`hangUp`) and
   * placed once more, and the second one stands whatever its burst. Every INVITE must get 200.
   */
  async function placeUnstarved(
    c: SiprecClient,
    plan: MediaPlan,
    maxBurstMs: number,
    hangUp: (call: SiprecCall) => Promise<void>,
  ): Promise<SiprecCall> {
    let call = await twoStreamCall(c, 'PCMU', callerNumber());
    for (let attempt = 1; ; attempt++) {
      assert.equal(await call.invite(), 200);
      const sent = await call.sendMedia(plan);
      if (sent.worstBurstMs <= maxBurstMs || attempt === 2) return call;
      process.stdout.write(`      sender starved (${sent.worstBurstMs} ms burst): placing the call again\n`);
      await hangUp(call);
      call = await twoStreamCall(c, 'PCMU', callerNumber());
    }
  }

  function assertTones(wav: WavInfo, fromS: number, toS: number, what: string): void {
    const l = channelFrequency(wav, 0, fromS, toS);
    const r = channelFrequency(wav, 1, fromS, toS);
    assert.ok(Math.abs(l - 440) <= 3, `${what}: left ${l} Hz, want 440`);
    assert.ok(Math.abs(r - 1000) <= 3, `${what}: right ${r} Hz, want 1000`);
  }

  function assertSilent(wav: WavInfo, fromS: number, toS: number, what: string): void {
    for (const ch of [0, 1]) {
      const rms = channelRms(wav, ch, fromS, toS);
      assert.ok(rms < 50, `${what}: channel ${ch} RMS ${rms.toFixed(0)} in ${fromS}-${toS} s, want silence`);
    }
  }

  it('records 10 s two-stream calls in µ-law (UDP), A-law (TCP) and G.722 (UDP): length, metadata, tones per channel, verify', async () => {
    const cases: { codec: AudioCodec; transport: Transport; rate: number }[] = [
      { codec: 'PCMU', transport: 'udp', rate: 8000 },
      { codec: 'PCMA', transport: 'tcp', rate: 8000 },
      { codec: 'G722', transport: 'udp', rate: 16000 },
    ];
    const results = await Promise.all(
      cases.map(async (k) => {
        const c = await client(k.transport);
        const number = callerNumber();
        const call = await twoStreamCall(c, k.codec, number);
        assert.equal(await call.invite(), 200, `${k.codec}: INVITE answered`);
        const ans = call.answer!;
        assert.deepEqual(
          ans.streams.map((s) => [s.label, s.direction]),
          [
            ['caller', 'recvonly'],
            ['agent', 'recvonly'],
          ],
          `${k.codec}: one recvonly m-line per stream, labels echoed`,
        );
        assert.equal(ans.streams[0]!.payloadTypes[0], { PCMU: 0, PCMA: 8, G722: 9 }[k.codec]);
        const sent = await call.sendMedia({ durationMs: 10_000 });
        assert.equal(await call.bye(), 200, `${k.codec}: BYE answered`);
        return { k, call, number, sent };
      }),
    );
    for (const { k, call, number } of results) {
      const rec = await finishedRecord(sets, daemon.logs, call.callId);
      assertRecordedLength(rec, call, 10_000, k.codec);
      assert.equal(rec.number, number);
      assert.equal(rec.agent, '1001');
      assert.equal(rec.agentName, 'Anna Agent');
      assert.equal(rec.direction, 'inbound');
      assert.equal(rec.service, 'kundtjanst');
      const list = JSON.parse((await ctl(sets, ['recordings', 'list', '--json'])).stdout) as {
        id: string;
        durationMs: number;
        number: string | null;
      }[];
      assert.equal(list.filter((r) => r.number === number).length, 1, `${k.codec}: listed once`);
      const wav = await exportWav(sets, rec.id, work);
      assert.equal(wav.channels, 2);
      assert.equal(wav.sampleRate, k.rate, `${k.codec}: output rate`);
      assert.ok(
        Math.abs(durationSeconds(wav) * 1000 - rec.durationMs) <= 50,
        `${k.codec}: WAV ${durationSeconds(wav)} s`,
      );
      assertTones(wav, 0.5, 9.5, k.codec);
      const ver = await ctl(sets, ['verify', rec.id]);
      assert.equal(ver.code, 0, `${k.codec}: verify ${ver.stdout}${ver.stderr}`);
    }
  });

  it('keeps a 10 s call with 5 % loss and reordering in length and in sync, and counts the loss', async () => {
    const c = await client();
    const call = await twoStreamCall(c, 'PCMU', callerNumber());
    assert.equal(await call.invite(), 200);
    const sent = await call.sendMedia({ durationMs: 10_000, lossPct: 5, reorderPct: 5, seed: 7 });
    assert.equal(await call.bye(), 200);
    assert.ok(sent.lost['caller']! > 0 && sent.lost['agent']! > 0, 'the plan dropped packets');
    const rec = await finishedRecord(sets, daemon.logs, call.callId);
    assertRecordedLength(rec, call, 10_000, 'call');
    for (const label of ['caller', 'agent']) {
      const st = rec.stats!.streams[label]!;
      assert.ok(st.lost > 0, `${label}: stats.lost ${st.lost}`);
      assert.ok(st.lost <= sent.lost[label]! + 2, `${label}: lost ${st.lost} ≤ dropped ${sent.lost[label]}`);
      assert.ok(st.outOfOrder > 0, `${label}: outOfOrder ${st.outOfOrder}`);
    }
    const wav = await exportWav(sets, rec.id, work);
    assert.ok(Math.abs(durationSeconds(wav) * 1000 - rec.durationMs) <= 50, `WAV ${durationSeconds(wav)} s`);
    for (const [a, b] of [
      [0.5, 2.5],
      [4, 6],
      [7.5, 9.5],
    ] as const)
      assertTones(wav, a, b, `${a}-${b} s`);
  });

  it('tolerates a 5 s hold signalled by re-INVITE a=inactive (no RTP, timestamps advancing) with rtp_timeout 3 s: not cut, silence there', async () => {
    const c = await client();
    const call = await twoStreamCall(c, 'PCMU', callerNumber());
    assert.equal(await call.invite(), 200);
    const media = call.sendMedia({ durationMs: 10_000, gaps: [{ fromMs: 3000, toMs: 8000 }] });
    await sleep(3000);
    assert.equal(await call.reinvite({ direction: 'inactive' }), 200);
    assert.ok(
      call.answer!.streams.every((s) => s.direction === 'inactive'),
      'answer mirrors inactive',
    );
    await sleep(4900);
    assert.equal(await call.reinvite({ direction: 'sendonly' }), 200);
    await media;
    assert.equal(call.byeFromDaemon(), undefined, 'the daemon must not hang up during the hold');
    assert.equal(await call.bye(), 200);
    const rec = await finishedRecord(sets, daemon.logs, call.callId);
    assert.equal(rec.stats!.endReason, 'bye');
    assertRecordedLength(rec, call, 10_000, 'call');
    const wav = await exportWav(sets, rec.id, work);
    assertTones(wav, 0.5, 2.7, 'before hold');
    assertSilent(wav, 3.3, 7.7, 'hold');
    assertTones(wav, 8.3, 9.7, 'after hold');
  });

  // An SBC that stops forking RTP for a held party keeps sending RTCP: that is not a dead call.
  it('tolerates a 5 s unsignalled hold while RTCP keeps arriving (rtp_timeout 3 s): not cut', async () => {
    const c = await client();
    // A sender starved for longer than the jitter buffer bursts its media late, which a recorder
    // rightly places late: that run says nothing about the hold, so it is placed once more.
    const plan = { durationMs: 10_000, gaps: [{ fromMs: 3000, toMs: 8000 }], rtcpEveryMs: 1000 };
    const call = await placeUnstarved(c, plan, 200, async (starved) => {
      if (starved.byeFromDaemon() === undefined) await starved.bye();
    });
    const hungUp = call.byeFromDaemon();
    if (hungUp === undefined) assert.equal(await call.bye(), 200);
    const rec = await finishedRecord(sets, daemon.logs, call.callId);
    assert.ok(rec.stats!.streams['caller']!.rtcp.packets >= 3, 'RTCP reached the daemon');
    assert.equal(hungUp, undefined, `the daemon hung up during the hold (endReason ${rec.stats!.endReason})`);
    assert.equal(rec.stats!.endReason, 'bye');
    assertRecordedLength(rec, call, 10_000, 'call');
    const wav = await exportWav(sets, rec.id, work);
    assertSilent(wav, 3.3, 7.7, 'hold');
    assertTones(wav, 8.3, 9.7, 'after hold');
  });

  it('writes silence while paused by re-INVITE a=inactive even though RTP keeps flowing, and tone again after resume', async () => {
    const c = await client();
    const call = await twoStreamCall(c, 'PCMU', callerNumber());
    assert.equal(await call.invite(), 200);
    const media = call.sendMedia({ durationMs: 8000 });
    await sleep(2500);
    assert.equal(await call.reinvite({ direction: 'inactive' }), 200);
    await sleep(3000);
    assert.equal(await call.reinvite({ direction: 'sendonly' }), 200);
    await media;
    assert.equal(await call.bye(), 200);
    const rec = await finishedRecord(sets, daemon.logs, call.callId);
    assertRecordedLength(rec, call, 8000, 'call');
    assert.ok(rec.stats!.streams['caller']!.packets >= 390, 'RTP kept flowing during the pause');
    const wav = await exportWav(sets, rec.id, work);
    assertTones(wav, 0.3, 2.2, 'before pause');
    assertSilent(wav, 3.0, 5.2, 'pause');
    assertTones(wav, 6.0, 7.7, 'after resume');
  });

  it('extracts RFC 4733 DTMF in the audio stream without garbling the audio, and survives an SSRC change', async () => {
    const c = await client();
    // The checks below look at 100 ms windows: a sender starved into a burst moves its own
    // packets around them, which says nothing of the recorder, so that call is placed again.
    const plan: MediaPlan = {
      durationMs: 6000,
      dtmf: [
        { label: 'caller', digit: '1', atMs: 1500, durationMs: 200 },
        { label: 'caller', digit: '#', atMs: 2500, durationMs: 160 },
      ],
      ssrcChangeAtMs: 4000,
    };
    const call = await placeUnstarved(c, plan, 40, async (starved) => {
      assert.equal(await starved.bye(), 200);
    });
    assert.equal(await call.bye(), 200);
    const rec = await finishedRecord(sets, daemon.logs, call.callId);
    assertRecordedLength(rec, call, 6000, 'call');
    const caller = rec.stats!.streams['caller']!;
    assert.equal(caller.dtmfEvents, 2, 'two DTMF events counted');
    assert.equal(rec.stats!.streams['agent']!.dtmfEvents, 0);
    assert.equal(caller.ssrcChanges, 1);
    const wav = await exportWav(sets, rec.id, work);
    assertTones(wav, 0.2, 1.45, 'before DTMF');
    assertTones(wav, 1.75, 2.45, 'between the digits');
    assertTones(wav, 2.7, 3.9, 'after DTMF');
    assertTones(wav, 4.1, 5.8, 'after the SSRC change');
    assert.ok(channelRms(wav, 0, 1.55, 1.65) < 50, 'no audio invented under the DTMF event');
    assert.ok(channelRms(wav, 1, 1.55, 1.65) > 1000, 'the other channel carries on');
  });
});
