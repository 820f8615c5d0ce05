/**
 * Monitoring sees the silent failures (issue 18): against the real daemon, a SIPREC call with no
 * RTP at all (the classic firewall fault) and a one-way call (RTP on the caller's stream only)
 * are flagged in the index (`no_media`, `one_way`) and counted in /metrics; the RTP packet
 * counter moves while a call is still up; and the shipped alert rules fire in a
 * `promtool test rules` file whose input series are the scrapes taken before and after.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ctl, isolatedSets, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { makeToneWav } from '../helpers/audio.js';
import { AGENT, SiprecClient, finishedRecord, rtpRangeSet, sleep, type SiprecCall } from '../kit/index.js';
import { parseExposition, promtool, testFromScrapes } from '../helpers/promtool.js';
import { buildRtpPacket, encodeUlaw } from '../../agent/src/media/index.js';

describe('integration: media metrics, no-media and one-way calls, alert rules', function () {
  this.timeout(120_000);
  let work: string;
  let sets: string[];
  let daemon: RunningDaemon | undefined;
  let client: SiprecClient | undefined;

  beforeEach(async () => {
    work = mkdtempSync(join(tmpdir(), 'cv-metrics-'));
    sets = await isolatedSets(join(work, 'storage'), [rtpRangeSet(), 'media.rtp_timeout_ms=20000']);
  });
  afterEach(async () => {
    await client?.close();
    client = undefined;
    await daemon?.stop('SIGKILL');
    daemon = undefined;
    rmSync(work, { recursive: true, force: true });
  });

  const metricsUrl = (): string => daemon!.metricsUrl!;

  async function scrape(): Promise<{ text: string; values: Map<string, number> }> {
    const res = await fetch(metricsUrl());
    assert.equal(res.status, 200);
    const text = await res.text();
    return { text, values: parseExposition(text) };
  }

  async function twoStreamCall(number: string): Promise<SiprecCall> {
    const call = await client!.call({
      streams: [
        { label: 'caller', codec: 'PCMU', toneHz: 440 },
        { label: 'agent', codec: 'PCMU', toneHz: 1000 },
      ],
      caller: { name: 'Kalle Kund', aor: `sip:${number}@sbc.operator.example` },
      callee: AGENT,
      direction: 'inbound',
      service: 'kundtjanst',
    });
    assert.equal(await call.invite(), 200);
    return call;
  }

  /** 20 ms µ-law packets on the caller's stream only, for `packets` × 20 ms, in real time. */
  async function sendCallerOnly(
    call: SiprecCall,
    packets: number,
    midway: () => Promise<void>,
  ): Promise<void> {
    const port = call.portOf(0);
    const sock = call.sockets[0]!;
    const t0 = performance.now();
    for (let n = 0; n < packets; n++) {
      while (performance.now() - t0 < n * 20) await sleep(5);
      const pcm = Int16Array.from({ length: 160 }, (_, i) =>
        Math.round(8000 * Math.sin((2 * Math.PI * 440 * (n * 160 + i)) / 8000)),
      );
      sock.send(
        buildRtpPacket({ payloadType: 0, seq: n, timestamp: n * 160, ssrc: 4711, payload: encodeUlaw(pcm) }),
        port,
        '127.0.0.1',
      );
      if (n === Math.floor(packets / 2)) await midway();
    }
  }

  it('flags and counts a zero-RTP and a one-way call, counts RTP mid-call, and the alert rules fire from the scrapes', async () => {
    daemon = await startDaemon(sets);
    client = await SiprecClient.to(daemon, 'udp');
    const before = await scrape();
    const v0 = before.values;
    assert.equal(v0.get('callvault_rtp_packets_total{side="customer"}'), 0);
    assert.equal(v0.get('callvault_calls_no_media_total{reason="no_packets"}'), 0);
    assert.equal(v0.get('callvault_calls_one_way_media_total{side="agent",reason="no_packets"}'), 0);
    assert.match(before.text, /^callvault_build_info\{version="\d+\.\d+\.\d+[^"]*",node="v\d+[^"]*"\} 1$/m);
    assert.match(before.text, /^process_cpu_seconds_total \d/m);
    assert.match(before.text, /^process_resident_memory_bytes \d/m);
    assert.doesNotMatch(before.text, /callvault_process_/);

    // 1. No RTP at all: INVITE, 1.5 s of nothing, BYE.
    const silent = await twoStreamCall('+46701110001');
    await sleep(1500);
    assert.equal(await silent.bye(), 200);
    const silentRec = await finishedRecord(sets, daemon!.logs, silent.callId);
    assert.ok(silentRec.flags.includes('no_media'), `zero-RTP call flags: ${silentRec.flags.join(',')}`);
    assert.ok(!silentRec.flags.includes('one_way'));

    // 2. One-way: 4 s of RTP from the caller, the agent stream silent; scraped halfway through.
    const oneWay = await twoStreamCall('+46701110002');
    let midCall: Map<string, number> | null = null;
    await sendCallerOnly(oneWay, 200, async () => {
      // The recorder delivers what the socket layer holds every tick (200 ms): give it two.
      await sleep(450);
      midCall = (await scrape()).values;
    });
    assert.equal(await oneWay.bye(), 200);
    const oneWayRec = await finishedRecord(sets, daemon!.logs, oneWay.callId);
    assert.ok(oneWayRec.flags.includes('one_way'), `one-way call flags: ${oneWayRec.flags.join(',')}`);
    assert.ok(!oneWayRec.flags.includes('no_media'));

    const mid = midCall as Map<string, number> | null;
    assert.ok(mid !== null);
    const midPackets = mid.get('callvault_rtp_packets_total{side="customer"}') ?? 0;
    assert.equal(mid.get('callvault_calls_active'), 1, 'scraped while the call was up');
    assert.ok(midPackets >= 50, `RTP counted during the call: ${midPackets} packets at mid-call`);

    const after = await scrape();
    const v1 = after.values;
    const packets = v1.get('callvault_rtp_packets_total{side="customer"}') ?? 0;
    console.log(
      `      rtp_packets_total{customer}: before 0, mid-call ${midPackets}, after ${packets}; agent ${v1.get('callvault_rtp_packets_total{side="agent"}')}`,
    );
    assert.ok(packets >= 195 && packets <= 200, `customer packets ${packets}`);
    assert.ok(packets > midPackets);
    assert.equal(v1.get('callvault_rtp_packets_total{side="agent"}'), 0);
    assert.equal(v1.get('callvault_calls_no_media_total{reason="no_packets"}'), 1);
    assert.equal(v1.get('callvault_calls_one_way_media_total{side="agent",reason="no_packets"}'), 1);
    assert.equal(v1.get('callvault_recordings_written_total{source="siprec"}'), 2);
    assert.equal(v1.get('callvault_recordings_failed_total{reason="disk_full"}'), 0);
    assert.equal(v1.get('callvault_rtp_mos_count{side="customer"}'), 1, 'one stream with RTP observed');
    assert.equal(v1.get('callvault_rtp_mos_count{side="agent"}'), 0, 'a silent stream has no MOS');
    assert.ok(
      (v1.get('callvault_tls_certificate_expiry_timestamp_seconds{listener="api"}') ?? 0) > Date.now() / 1000,
    );
    const check = promtool(['check', 'metrics'], after.text);
    assert.equal(check.code, 0, check.out);

    // 3. The shipped rules on these very numbers: before held 10 min, then after.
    const file = testFromScrapes({
      dir: work,
      scrapes: [v0, v1],
      holdMinutes: 10,
      prefixes: ['callvault_'],
      evalTime: '15m',
      alerts: [
        { name: 'CallvaultNoMediaCalls', firing: true },
        { name: 'CallvaultOneWayMediaCalls', labels: { side: 'agent' }, firing: true },
        { name: 'CallvaultPacketLoss', firing: false },
        { name: 'CallvaultRecordingsFailing', firing: false },
        { name: 'CallvaultStorageLow', firing: false },
      ],
    });
    const t = promtool(['test', 'rules', file]);
    assert.equal(t.code, 0, t.out);
    // The same rules stay quiet on the scrape before the calls alone.
    const quiet = testFromScrapes({
      dir: work,
      scrapes: [v0, v0],
      holdMinutes: 10,
      prefixes: ['callvault_'],
      evalTime: '15m',
      alerts: [
        { name: 'CallvaultNoMediaCalls', firing: false },
        { name: 'CallvaultOneWayMediaCalls', firing: false },
      ],
    });
    const q = promtool(['test', 'rules', quiet]);
    assert.equal(q.code, 0, q.out);
  });

  it('shows the oldest recording per policy, retention runs, and an import counted as written', async () => {
    const wav = join(work, 't.wav');
    makeToneWav(wav, 1, [440, 880]);
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000).toISOString();
    const old = await ctl(sets, [
      'import',
      wav,
      '--meta',
      JSON.stringify({ number: '+46701000001', startedAt: twoDaysAgo }),
    ]);
    assert.equal(old.code, 0, old.stderr);
    daemon = await startDaemon(sets);
    // The scheduler runs retention at start, in the background.
    let values = (await scrape()).values;
    for (let i = 0; i < 100 && (values.get('callvault_retention_runs_total{result="ok"}') ?? 0) < 1; i++) {
      await sleep(200);
      values = (await scrape()).values;
    }
    assert.equal(values.get('callvault_retention_runs_total{result="ok"}'), 1, 'the start-up run');
    const ages = [...values].filter(([k]) => k.startsWith('callvault_recordings_oldest_age_seconds{'));
    assert.equal(ages.length, 1, JSON.stringify(ages));
    const age = ages[0]![1];
    assert.ok(Math.abs(age - 2 * 86_400) < 600, `oldest age ${age} s`);
    assert.ok(
      (values.get('callvault_retention_last_success_timestamp_seconds') ?? 0) > Date.now() / 1000 - 60,
    );
    assert.equal(
      values.get('callvault_recordings_written_total{source="import"}'),
      0,
      'imported before start',
    );
    const now = await ctl(sets, ['import', wav, '--meta', JSON.stringify({ number: '+46701000002' })]);
    assert.equal(now.code, 0, now.stderr);
    assert.equal((await scrape()).values.get('callvault_recordings_written_total{source="import"}'), 1);
  });
});
