/**
 * Real-world SIPREC offers and bad input against the real daemon: the vendor INVITEs of
 * test/fixtures/siprec/ replayed from 127.0.0.1 (addresses and ports rewritten), a withheld
 * caller, no common codec (488), a silent stream (no_media), garbage RTP (dropped and counted),
 * malformed and hostile rs-metadata, CANCEL before the answer, and a metadata-changing re-INVITE.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { ROOT, ctl, isolatedSets, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { channelFrequency, durationSeconds } from '../helpers/audio.js';
import {
  AGENT,
  SiprecClient,
  assertRecordedLength,
  buildMetadata,
  channelRms,
  exportWav,
  finishedRecord,
  rtpRangeSet,
  sleep,
  type AudioCodec,
  type OfferSpec,
  type RecordView,
  type SiprecCall,
} from '../kit/index.js';
import { buildRtpPacket, encodeUlaw } from '../../agent/src/media/index.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'siprec');
const CODEC_OF_PT: Record<number, AudioCodec> = { 0: 'PCMU', 8: 'PCMA', 9: 'G722' };

describe('integration: SIPREC offer variants and bad input', function () {
  this.timeout(90_000);
  let work: string;
  let sets: string[];
  let daemon: RunningDaemon;
  const clients: SiprecClient[] = [];

  before(async function () {
    this.timeout(30_000);
    work = mkdtempSync(join(tmpdir(), 'cv-siprec-var-'));
    sets = await isolatedSets(join(work, 'storage'), [rtpRangeSet()]);
    daemon = await startDaemon(sets);
  });
  after(async () => {
    await daemon?.stop('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
  });

  async function client(): Promise<SiprecClient> {
    const c = await SiprecClient.to(daemon, 'udp');
    clients.push(c);
    return c;
  }

  const offer = (service: string, extra: Partial<OfferSpec> = {}): OfferSpec => ({
    streams: [
      { label: '1', codec: 'PCMU', toneHz: 440 },
      { label: '2', codec: 'PCMU', toneHz: 1000 },
    ],
    callee: AGENT,
    direction: 'inbound',
    service,
    ...extra,
  });

  /** Replays a fixture, sends `ms` of tones in the answered codecs, hangs up, returns the record. */
  async function replay(name: string, ms = 3000): Promise<{ call: SiprecCall; rec: RecordView }> {
    const c = await client();
    const call = await c.fixtureCall(join(FIXTURES, `${name}.sip`), [440, 1000, 700]);
    assert.equal(await call.invite(), 200, `${name}: ${call.final?.raw.split('\r\n')[0]}`);
    const codecs = call.answer!.streams.map((s) => CODEC_OF_PT[s.payloadTypes[0] ?? -1] ?? 'PCMU');
    await call.sendMedia({ durationMs: ms, codecs });
    assert.equal(await call.bye(), 200);
    return { call, rec: await finishedRecord(sets, daemon.logs, call.callId) };
  }

  it('accepts and records six vendor SIPREC INVITEs (RFC 7866, Cisco CUBE, AudioCodes, Oracle/Acme, FreeSWITCH, withheld caller)', async () => {
    const names = [
      'rfc7866-basic',
      'cisco-cube',
      'audiocodes',
      'oracle-acme',
      'freeswitch-drachtio',
      'withheld-caller',
    ];
    const got = await Promise.all(names.map((n) => replay(n)));
    const by = Object.fromEntries(names.map((n, i) => [n, got[i]!]));
    for (const n of names) {
      const { rec, call } = by[n]!;
      assertRecordedLength(rec, call, 3000, n);
      assert.equal(rec.format.channels, 2, `${n}: stereo`);
      assert.ok(!rec.flags.includes('metadata_error'), `${n}: metadata parsed (${rec.flags.join(',')})`);
      const wav = await exportWav(sets, rec.id, work);
      assert.ok(
        Math.abs(durationSeconds(wav) * 1000 - rec.durationMs) <= 50,
        `${n}: WAV ${durationSeconds(wav)} s`,
      );
      const tones = [channelFrequency(wav, 0, 0.3, 2.7), channelFrequency(wav, 1, 0.3, 2.7)].sort(
        (a, b) => a - b,
      );
      assert.ok(
        Math.abs(tones[0]! - 440) <= 3 && Math.abs(tones[1]! - 1000) <= 3,
        `${n}: tones ${tones.join('/')}`,
      );
    }
    const party = (rec: RecordView, role: string): RecordView['participants'][number] | undefined =>
      rec.participants.find((p) => p.role === role);
    const cisco = by['cisco-cube']!.rec;
    assert.equal(party(cisco, 'caller')?.number, '+4631123456');
    assert.deepEqual(
      [party(cisco, 'callee')?.name, party(cisco, 'callee')?.number],
      ['Karin Kundtjanst', '7300'],
    );
    const ac = by['audiocodes']!.rec;
    assert.equal(ac.format.sampleRate, 16000, 'AudioCodes offered G.722 first');
    assert.equal(ac.codec, 'G722');
    assert.deepEqual([party(ac, 'caller')?.name, party(ac, 'caller')?.number], ['Pekka Palvelu', '2001']);
    assert.equal(party(ac, 'callee')?.number, '+358401112233');
    const acme = by['oracle-acme']!.rec;
    assert.equal(party(acme, 'caller')?.number, '+46701234567', 'apkt:callingParty names the caller');
    assert.deepEqual(
      [party(acme, 'callee')?.name, party(acme, 'callee')?.number],
      ['Lena Lindqvist', '1002'],
    );
    const fs = by['freeswitch-drachtio']!.rec;
    assert.equal(fs.direction, 'inbound', 'X-Call-Direction: incoming');
    // National spelling in the metadata, stored in E.164 with sip.default_country (SE in dev.yaml).
    assert.equal(fs.number, '+46771121212');
    assert.equal(fs.agent, '1005');
    const basic = by['rfc7866-basic']!.rec;
    assert.deepEqual(
      basic.participants.map((p) => [p.role, p.name]),
      [
        ['caller', 'Alice'],
        ['callee', 'Bob'],
      ],
    );
    const wh = by['withheld-caller']!.rec;
    assert.equal(wh.number, null, 'withheld number not stored');
    const caller = party(wh, 'caller');
    assert.ok(caller !== undefined && caller.number === null && caller.name === null && caller.withheld);
    assert.deepEqual([party(wh, 'callee')?.name, party(wh, 'callee')?.number], ['Bertil Bemanning', '4712']);
    assert.ok(
      !JSON.stringify(wh).includes('46709876543'),
      'the withheld number appears nowhere in the record',
    );
    // Cisco's label 1 is the caller (customer): left channel.
    const wavCisco = await exportWav(sets, cisco.id, work);
    assert.ok(Math.abs(channelFrequency(wavCisco, 0, 0.3, 2.7) - 440) <= 3, 'Cisco caller left');
  });

  // Offers that state no call direction (Cisco CUBE, AudioCodes, Oracle/Acme, most SBCs): the
  // configured agent rules (sip.agent_extension_max_digits, sip.agent_number_prefixes) decide
  // who is the agent, and so the direction and the customer's number (seed 001).
  it('stores customer number and agent for vendor offers without a direction, by configured agent rules', async () => {
    const SIDE_RULES = 'sip.agent_extension_max_digits=4';
    const own = await isolatedSets(join(work, 'storage-sides'), [rtpRangeSet(), SIDE_RULES]);
    const d = await startDaemon(own);
    try {
      const c = await SiprecClient.to(d);
      clients.push(c);
      const expect: Record<string, [string | null, string, string | null, string]> = {
        'cisco-cube': ['+4631123456', '7300', 'Karin Kundtjanst', 'inbound'],
        audiocodes: ['+358401112233', '2001', 'Pekka Palvelu', 'outbound'],
        'oracle-acme': ['+46701234567', '1002', 'Lena Lindqvist', 'inbound'],
        'withheld-caller': [null, '4712', 'Bertil Bemanning', 'inbound'],
      };
      for (const [name, [number, agent, agentName, direction]] of Object.entries(expect)) {
        const call = await c.fixtureCall(join(FIXTURES, `${name}.sip`), [440, 1000]);
        assert.equal(await call.invite(), 200);
        await call.sendMedia({
          durationMs: 500,
          codecs: call.answer!.streams.map((s) => CODEC_OF_PT[s.payloadTypes[0] ?? -1] ?? 'PCMU'),
        });
        assert.equal(await call.bye(), 200);
        const rec = await finishedRecord(own, d.logs, call.callId);
        assert.deepEqual(
          [rec.number, rec.agent, rec.agentName, rec.direction],
          [number, agent, agentName, direction],
          name,
        );
        assert.equal(rec.participants.filter((p) => p.side === 'agent').length, 1, `${name}: one agent side`);
        if (name === 'withheld-caller') assert.equal(rec.numberWithheld, true);
      }
    } finally {
      await d.stop('SIGKILL');
    }
  });

  it('refuses an offer with no usable codec with 488 and records nothing', async () => {
    const c = await client();
    const call = await c.fixtureCall(join(FIXTURES, 'no-common-codec.sip'));
    assert.equal(await call.invite(), 488);
    await sleep(500);
    assert.equal(/"call answered"[^\n]*no-common-codec/.test(daemon.logs()), false);
  });

  it('records a call whose second stream never sends RTP: silence there and the one_way flag', async () => {
    const c = await client();
    const call = await c.call(offer('no-media'));
    assert.equal(await call.invite(), 200);
    const port = call.portOf(0);
    const sock = call.sockets[0]!;
    // Only the caller stream sends; the agent stream stays silent for the whole call.
    const t0 = performance.now();
    for (let n = 0; n < 150; n++) {
      while (performance.now() - t0 < n * 20) await sleep(5);
      const pcm = Int16Array.from({ length: 160 }, (_, i) =>
        Math.round(8000 * Math.sin((2 * Math.PI * 440 * (n * 160 + i)) / 8000)),
      );
      sock.send(
        buildRtpPacket({ payloadType: 0, seq: n, timestamp: n * 160, ssrc: 77, payload: encodeUlaw(pcm) }),
        port,
        '127.0.0.1',
      );
    }
    assert.equal(await call.bye(), 200);
    const rec = await finishedRecord(sets, daemon.logs, call.callId);
    assert.ok(rec.flags.includes('one_way'), `flags ${rec.flags.join(',')}`);
    assert.ok(!rec.flags.includes('no_media'), 'the caller stream carried RTP');
    assert.equal(rec.stats!.streams['2']!.packets, 0);
    const wav = await exportWav(sets, rec.id, work);
    assertRecordedLength(rec, call, 3000, 'call');
    assert.ok(Math.abs(durationSeconds(wav) * 1000 - rec.durationMs) <= 50, `WAV ${durationSeconds(wav)} s`);
    assert.ok(Math.abs(channelFrequency(wav, 0, 0.3, 2.7) - 440) <= 3);
    assert.ok(channelRms(wav, 1, 0, 3) < 5, 'the silent stream is silence');
  });

  it('drops and counts garbage RTP (bad version, short, unknown PT, wrong source) and records the call fine', async () => {
    const c = await client();
    const call = await c.call(offer('garbage-rtp'));
    assert.equal(await call.invite(), 200);
    const media = call.sendMedia({ durationMs: 4000 });
    await sleep(1000);
    const port = call.portOf(0);
    const own = call.sockets[0]!;
    const stranger = createSocket('udp4');
    stranger.bind(0, '127.0.0.1');
    await once(stranger, 'listening');
    try {
      const valid = buildRtpPacket({
        payloadType: 0,
        seq: 9,
        timestamp: 9 * 160,
        ssrc: 0xbad,
        payload: new Uint8Array(160).fill(0x55),
      });
      const badVersion = Buffer.from(valid);
      badVersion[0] = 0x40;
      const unknownPt = buildRtpPacket({
        payloadType: 18,
        seq: 1,
        timestamp: 1,
        ssrc: 0x1000,
        payload: new Uint8Array(20),
      });
      for (let i = 0; i < 5; i++) {
        own.send(badVersion, port, '127.0.0.1');
        own.send(Buffer.from([0x80, 0, 1]), port, '127.0.0.1');
        own.send(unknownPt, port, '127.0.0.1');
        stranger.send(valid, port, '127.0.0.1');
        await sleep(30);
      }
    } finally {
      stranger.close();
    }
    await media;
    assert.equal(await call.bye(), 200);
    const rec = await finishedRecord(sets, daemon.logs, call.callId);
    const drops = rec.stats!.streams['1']!.drops;
    assert.equal(drops['version'], 5, JSON.stringify(drops));
    assert.equal(drops['short'], 5, JSON.stringify(drops));
    assert.equal(drops['unknownPayloadType'], 5, JSON.stringify(drops));
    assert.equal(drops['wrongSource'], 5, JSON.stringify(drops));
    assertRecordedLength(rec, call, 4000, 'call');
    const wav = await exportWav(sets, rec.id, work);
    assert.ok(Math.abs(channelFrequency(wav, 0, 0.3, 3.7) - 440) <= 3);
    assert.ok(Math.abs(channelFrequency(wav, 1, 0.3, 3.7) - 1000) <= 3);
  });

  it('records a call with malformed rs-metadata, flagged metadata_error, described from SDP and headers', async () => {
    const { rec, call } = await replay('malformed-xml', 2000);
    assert.ok(rec.flags.includes('metadata_error'), `flags ${rec.flags.join(',')}`);
    const caller = rec.participants.find((p) => p.role === 'caller');
    assert.deepEqual(
      [caller?.name, caller?.number],
      ['Olle Olsson', '+46731112222'],
      'caller from the From header',
    );
    assertRecordedLength(rec, call, 2000, 'call');
  });

  it('refuses an XML entity-expansion attack fast and still answers the call cleanly (metadata_error)', async () => {
    const c = await client();
    const call = await c.fixtureCall(join(FIXTURES, 'entity-attack.sip'), [440]);
    const t0 = performance.now();
    const status = await call.invite();
    const ms = performance.now() - t0;
    assert.equal(status, 200);
    assert.ok(ms < 1000, `answered in ${ms.toFixed(0)} ms`);
    await call.sendMedia({ durationMs: 1000 });
    assert.equal(await call.bye(), 200);
    const rec = await finishedRecord(sets, daemon.logs, call.callId);
    assert.ok(rec.flags.includes('metadata_error'), `flags ${rec.flags.join(',')}`);
    assert.ok(!JSON.stringify(rec).includes('lollol'), 'no expanded entity stored');
    assert.ok(/CV_ERR_METADATA_DTD_FORBIDDEN/.test(daemon.logs()), 'the refusal is logged with its code');
  });

  it('answers CANCEL before the answer with 200 and the INVITE with 487 (or, if the answer won, ends by BYE)', async () => {
    const c = await client();
    const call = await c.call(offer('cancelled'));
    const inv = call.invite();
    const cancel = await call.cancel();
    const status = await inv;
    assert.equal(cancel, 200);
    if (status === 200) assert.equal(await call.bye(), 200);
    else assert.equal(status, 487);
  });

  // A CANCEL at any point of the set-up leaves no call, no bound ports and no recording.
  it('leaves no call and no recording behind for INVITEs cancelled at any point of the set-up', async () => {
    const own = await isolatedSets(join(work, 'storage-cancel'), [
      rtpRangeSet(),
      'media.rtp_timeout_ms=1000',
    ]);
    const d = await startDaemon(own);
    try {
      const c = await SiprecClient.to(d);
      clients.push(c);
      let answered = 0;
      for (let delayMs = 0; delayMs <= 24; delayMs += 2) {
        const call = await c.call(offer('cancel-sweep'));
        const inv = call.invite();
        await sleep(delayMs);
        assert.equal(await call.cancel(), 200);
        const status = await inv;
        if (status === 200) {
          answered++;
          assert.equal(await call.bye(), 200);
        } else assert.equal(status, 487);
      }
      await sleep(3000);
      const metrics = await (
        await fetch(`http://${/metrics\.listen=(\S+)/.exec(own.join(' '))![1]}/metrics`)
      ).text();
      assert.match(metrics, /^callvault_calls_active 0$/m);
      const list = JSON.parse((await ctl(own, ['recordings', 'list', '--json'])).stdout) as unknown[];
      assert.equal(list.length, answered, 'only answered calls are recorded');
    } finally {
      await d.stop('SIGKILL');
    }
  });

  it('applies a re-INVITE with changed metadata (call transferred to another agent) to the record', async () => {
    const c = await client();
    const spec = offer('transfer', {
      caller: { name: 'Kalle Kund', aor: 'sip:+46705550001@sbc.operator.example' },
    });
    const call = await c.call(spec);
    assert.equal(await call.invite(), 200);
    const media = call.sendMedia({ durationMs: 3000 });
    await sleep(1500);
    const changed = buildMetadata({
      ...spec,
      callee: { name: 'Bertil Bemanning', aor: 'sip:1002@pbx.operator.example' },
    });
    assert.equal(await call.reinvite({ metadata: changed }), 200);
    assert.deepEqual(
      call.answer!.streams.map((s) => s.direction),
      ['recvonly', 'recvonly'],
    );
    await media;
    assert.equal(await call.bye(), 200);
    const rec = await finishedRecord(sets, daemon.logs, call.callId);
    assert.equal(rec.agent, '1002');
    assert.equal(rec.agentName, 'Bertil Bemanning');
    assert.equal(rec.number, '+46705550001');
    assertRecordedLength(rec, call, 3000, 'call');
  });
});
