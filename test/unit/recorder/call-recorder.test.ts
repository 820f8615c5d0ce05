/**
 * The recorder over real parts: a real media receiver on 127.0.0.1 fed real RTP, real storage
 * (vault + index) in a temp dir. Time is compressed with an injected clock: the test advances
 * it packet by packet and waits (bounded) until the receiver has the packets.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSocket, type Socket } from 'node:dgram';
import { randomUUID } from 'node:crypto';
import { loadConfig, type Config } from '../../../agent/src/config/index.js';
import { openStorage, rebuildIndex, type Storage } from '../../../agent/src/storage/index.js';
import {
  createMediaReceiver,
  buildRtpPacket,
  encodeUlaw,
  buildTelephoneEventPayload,
  type MediaReceiver,
  type RtpStream,
} from '../../../agent/src/media/index.js';
import { Session, type SessionInfo } from '../../../agent/src/session/index.js';
import { CallRecorder } from '../../../agent/src/recorder/index.js';
import { createLogger, silentLogger } from '../../../agent/src/common/index.js';
import { DEV_CONFIG } from '../../helpers/daemon.js';
import { readWav, channelFrequency, durationSeconds } from '../../helpers/audio.js';
import { until } from '../../helpers/until.js';

const T0 = 1_800_000_000_000;

function sessionInfo(over: Partial<SessionInfo> = {}): SessionInfo {
  return {
    id: randomUUID(),
    callId: 'call-1@sbc',
    sourceSessionId: null,
    direction: 'inbound',
    service: 'support',
    dialledNumber: null,
    agent: { id: '1001', name: 'Anna Agent' },
    customerParticipantId: 'caller',
    agentParticipantId: 'callee',
    participants: [
      {
        id: 'caller',
        name: 'Carl Customer',
        number: '+46701234567',
        aor: 'sip:+46701234567@sbc',
        withheld: false,
        side: 'customer',
        role: 'caller',
      },
      {
        id: 'callee',
        name: 'Anna Agent',
        number: null,
        aor: 'sip:1001@pbx',
        withheld: false,
        side: 'agent',
        role: 'callee',
      },
    ],
    streams: [],
    startedAt: new Date(T0),
    answeredAt: new Date(T0),
    caseId: null,
    consent: 'unknown',
    flags: [],
    ...over,
  };
}

function tone(freq: number, startSample: number, n: number): Int16Array {
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++)
    out[i] = Math.round(10000 * Math.sin((2 * Math.PI * freq * (startSample + i)) / 8000));
  return out;
}

describe('recorder/call-recorder', function () {
  this.timeout(60_000);
  let dir: string;
  let config: Config;
  let storage: Storage;
  let receiver: MediaReceiver;
  let sender: Socket;
  let now = T0;
  const clock = (): number => now;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cv-rec-'));
    config = loadConfig({ file: DEV_CONFIG, sets: [`storage.dir=${dir}`] });
    storage = await openStorage({ config, log: silentLogger() });
    const low = 30000 + 2 * Math.floor(Math.random() * 10000);
    receiver = await createMediaReceiver({
      portRange: { low, high: low + 40 },
      bindAddress: '127.0.0.1',
      log: silentLogger(),
      clock,
    });
    sender = createSocket('udp4');
    now = T0;
  });
  afterEach(async () => {
    sender.close();
    await receiver.close();
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function call(): Promise<{ left: RtpStream; right: RtpStream; leftPort: number; rightPort: number }> {
    const a = await receiver.allocate('customer', { originMs: T0, sampleRate: 8000 });
    const b = await receiver.allocate('agent', { originMs: T0, sampleRate: 8000 });
    return { left: a.stream, right: b.stream, leftPort: a.rtpPort, rightPort: b.rtpPort };
  }

  async function play(
    c: { left: RtpStream; right: RtpStream; leftPort: number; rightPort: number },
    seconds: number,
    opts: {
      lossEvery?: number;
      holdFrom?: number;
      holdTo?: number;
      dtmf?: { atPacket: number; event: number };
    } = {},
  ): Promise<void> {
    const packets = seconds * 50;
    let sentLeft = 0;
    let sentRight = 0;
    let leftSeq = 0;
    let rightSeq = 0;
    for (let i = 0; i < packets; i++) {
      now = T0 + i * 20;
      const held = opts.holdFrom !== undefined && i >= opts.holdFrom && i < opts.holdTo!;
      if (held) continue;
      const lost = opts.lossEvery !== undefined && i % opts.lossEvery === 7;
      const audio = (seq: number, freq: number, ssrc: number): Buffer =>
        buildRtpPacket({
          payloadType: 0,
          seq,
          timestamp: i * 160,
          ssrc,
          payload: encodeUlaw(tone(freq, i * 160, 160)),
        });
      const inDtmf = opts.dtmf !== undefined && i >= opts.dtmf.atPacket && i < opts.dtmf.atPacket + 5;
      if (inDtmf) {
        // RFC 4733: events replace the audio packets of that time, in the same SSRC and seq space.
        const d = opts.dtmf!;
        const end = i === d.atPacket + 4;
        const payload = buildTelephoneEventPayload(d.event, end, 10, (i - d.atPacket + 1) * 160);
        sender.send(
          buildRtpPacket({
            payloadType: 101,
            seq: leftSeq++,
            timestamp: d.atPacket * 160,
            ssrc: 0x1111,
            payload,
            marker: i === d.atPacket,
          }),
          c.leftPort,
          '127.0.0.1',
        );
        sentLeft++;
      } else if (!lost) {
        sender.send(audio(leftSeq++, 440, 0x1111), c.leftPort, '127.0.0.1');
        sentLeft++;
      } else {
        leftSeq++;
      }
      sender.send(audio(rightSeq++, 1000, 0x2222), c.rightPort, '127.0.0.1');
      sentRight++;
      await until(
        () => c.left.stats().packets >= sentLeft && c.right.stats().packets >= sentRight,
        `packet ${i}`,
      );
    }
    now = T0 + packets * 20 + 200;
  }

  async function exportWav(id: string): Promise<ReturnType<typeof readWav>> {
    const reader = await storage.vault.openReader(id);
    return readWav(await reader.readAll());
  }

  it('records caller left (440 Hz) and agent right (1000 Hz), 10 s, indexed with metadata and stats', async () => {
    const c = await call();
    const session = new Session(sessionInfo());
    const rec = await CallRecorder.start({
      session,
      streams: [
        { label: 'customer', side: 'customer', codec: 'PCMU', stream: c.left },
        { label: 'agent', side: 'agent', codec: 'PCMU', stream: c.right },
      ],
      storage,
      policy: config.policy,
      source: 'siprec',
      sampleRate: 8000,
      rtpTimeoutMs: 30_000,
      clock,
      tickMs: 5,
      log: silentLogger(),
    });
    await play(c, 10, { lossEvery: 20 });
    const record = await rec.finish('bye');
    assert.ok(record);
    const wav = await exportWav(record.id);
    assert.equal(wav.channels, 2);
    assert.ok(Math.abs(durationSeconds(wav) - 10) <= 0.2, `duration ${durationSeconds(wav)}`);
    assert.ok(Math.abs(channelFrequency(wav, 0) - 440) < 10, `left ${channelFrequency(wav, 0)}`);
    assert.ok(Math.abs(channelFrequency(wav, 1) - 1000) < 10, `right ${channelFrequency(wav, 1)}`);
    const indexed = await storage.index.getRecording(record.id);
    assert.ok(indexed);
    assert.equal(indexed.number, '+46701234567');
    assert.equal(indexed.agent, '1001');
    assert.equal(indexed.agentName, 'Anna Agent');
    assert.equal(indexed.direction, 'inbound');
    assert.equal(indexed.service, 'support');
    assert.equal(indexed.codec, 'PCMU');
    const streams = (indexed.stats as { streams: Record<string, { lost: number; packets: number }> }).streams;
    assert.equal(streams['customer']!.lost, 25, '5% loss shows in the stats');
    assert.equal(streams['agent']!.lost, 0);
    assert.ok((await storage.vault.verify(record.id)).ok);

    // Per-call quality: the worst stream decides; stored in the index and in the container.
    const q = indexed.quality!;
    const mosOf = (label: string): number => (streams[label] as unknown as { mos: number }).mos;
    assert.equal(q.lossPct, 5, 'the lossy customer stream');
    assert.equal(q.mos, Math.round(Math.min(mosOf('customer'), mosOf('agent')) * 100) / 100);
    assert.ok(q.mos! < mosOf('agent'), `loss lowers the call's MOS: ${q.mos} < ${mosOf('agent')}`);
    assert.ok(q.jitterMs !== null && q.jitterMs >= 0);
    assert.deepEqual((await storage.vault.readMetadata(record.id))['quality'], q);
    const lowMos = await storage.index.search({ maxMos: q.mos! });
    assert.deepEqual(
      lowMos.items.map((r) => r.id),
      [record.id],
    );
    assert.equal((await storage.index.search({ minMos: q.mos! + 0.01 })).items.length, 0);
    await rebuildIndex(storage, { name: 'cli:test', role: 'admin', from: 'local' });
    assert.deepEqual((await storage.index.getRecording(record.id))!.quality, q, 'rebuild restores quality');
  });

  it('keeps a call on hold: silence in the gap, no RTP timeout', async () => {
    const c = await call();
    const session = new Session(sessionInfo());
    const rec = await CallRecorder.start({
      session,
      streams: [
        { label: 'customer', side: 'customer', codec: 'PCMU', stream: c.left },
        { label: 'agent', side: 'agent', codec: 'PCMU', stream: c.right },
      ],
      storage,
      policy: config.policy,
      source: 'siprec',
      sampleRate: 8000,
      rtpTimeoutMs: 2_000,
      clock,
      tickMs: 5,
      log: silentLogger(),
    });
    let timedOut = false;
    rec.on('rtp_timeout', () => (timedOut = true));
    session.hold(new Date(T0 + 3000));
    await play(c, 10, { holdFrom: 150, holdTo: 400 });
    session.unhold();
    const record = await rec.finish('bye');
    assert.equal(timedOut, false);
    const wav = await exportWav(record!.id);
    assert.ok(Math.abs(durationSeconds(wav) - 10) <= 0.2, `duration ${durationSeconds(wav)}`);
    // 3.5 s – 7.5 s lies inside the hold: all silence on both channels.
    const mid = wav.data.subarray(3.5 * 8000 * 4, 7.5 * 8000 * 4);
    assert.ok(
      mid.every((b) => b === 0),
      'silence during hold',
    );
    assert.equal(channelFrequency(wav, 1, 0, 3), 1000);
    assert.equal(channelFrequency(wav, 0, 8, 10), 440, 'audio resumes after the hold');
  });

  it('under a DTMF consent policy, digit 2 destroys the recording and 1 keeps it', async () => {
    const arlo = loadConfig({ file: DEV_CONFIG, sets: [`storage.dir=${dir}`, 'policy.name=arlo'] }).policy;
    for (const [digit, kept] of [
      [2, false],
      [1, true],
    ] as const) {
      const c = await call();
      const session = new Session(sessionInfo());
      const rec = await CallRecorder.start({
        session,
        streams: [
          { label: 'customer', side: 'customer', codec: 'PCMU', stream: c.left },
          { label: 'agent', side: 'agent', codec: 'PCMU', stream: c.right },
        ],
        storage,
        policy: arlo,
        source: 'siprec',
        sampleRate: 8000,
        rtpTimeoutMs: 30_000,
        clock,
        tickMs: 5,
        log: silentLogger(),
      });
      let discarded = false;
      rec.on('discarded', () => (discarded = true));
      await play(c, 3, { dtmf: { atPacket: 20, event: digit } });
      await until(() => rec.consent !== 'pending', 'consent decision');
      const record = await rec.finish('bye');
      assert.equal(discarded, !kept, `digit ${digit}`);
      assert.equal(record !== null, kept, `digit ${digit}`);
      assert.equal(await storage.vault.has(rec.id), kept);
      if (record !== null) {
        const stored = (await storage.index.getRecording(record.id))!;
        assert.equal(stored.consent, 'given');
        // The evidence is in the container's metadata too, so a rebuild keeps it.
        assert.deepEqual(
          [stored.consentEvidence?.via, stored.consentEvidence?.digit, stored.consentEvidence?.stream],
          ['dtmf', '1', 'customer'],
        );
        assert.deepEqual(
          (await storage.vault.readMetadata(record.id))['consentEvidence'],
          stored.consentEvidence,
        );
      }
      await receiver.release(c.left);
      await receiver.release(c.right);
    }
  });

  it("under a DTMF consent policy, the accept digit on the agent's stream is no consent", async () => {
    const arlo = loadConfig({ file: DEV_CONFIG, sets: [`storage.dir=${dir}`, 'policy.name=arlo'] }).policy;
    const c = await call();
    const rec = await CallRecorder.start({
      session: new Session(sessionInfo()),
      // play() sends the digit on c.left: here that is the agent's stream.
      streams: [
        { label: 'agent', side: 'agent', codec: 'PCMU', stream: c.left },
        { label: 'customer', side: 'customer', codec: 'PCMU', stream: c.right },
      ],
      storage,
      policy: arlo,
      source: 'siprec',
      sampleRate: 8000,
      rtpTimeoutMs: 30_000,
      clock,
      tickMs: 5,
      log: silentLogger(),
    });
    let discarded: string | null = null;
    rec.on('discarded', (reason) => (discarded = reason));
    await play(c, 3, { dtmf: { atPacket: 20, event: 1 } });
    await until(() => c.left.dtmfEventCount > 0, 'the digit reached the agent stream');
    // Give the recorder's ticks a chance to see the digit before the call ends.
    now += 100;
    await until(() => rec.consent === 'pending' && c.left.dtmfEventCount === 1, 'digit seen, still pending');
    assert.equal(rec.consent, 'pending', 'a digit on the agent stream decides nothing');
    const record = await rec.finish('bye');
    assert.equal(record, null, 'no consent from the customer: nothing kept');
    assert.equal(discarded, 'no_answer');
    assert.equal(await storage.vault.has(rec.id), false);
    await receiver.release(c.left);
    await receiver.release(c.right);
  });

  it('stores a stream that never sent RTP as silence, flagged no_media; a withheld number is not stored', async () => {
    const c = await call();
    const info = sessionInfo();
    const session = new Session({
      ...info,
      participants: info.participants.map((p) =>
        p.id === 'caller' ? { ...p, number: null, name: null, aor: null, withheld: true } : p,
      ),
    });
    const rec = await CallRecorder.start({
      session,
      streams: [
        { label: 'customer', side: 'customer', codec: 'PCMU', stream: c.left },
        { label: 'agent', side: 'agent', codec: 'PCMU', stream: c.right },
      ],
      storage,
      policy: config.policy,
      source: 'siprec',
      sampleRate: 8000,
      rtpTimeoutMs: 30_000,
      clock,
      tickMs: 5,
      log: silentLogger(),
    });
    now = T0 + 2000;
    const record = await rec.finish('bye');
    assert.ok(record);
    assert.ok(record.flags.includes('no_media'));
    assert.equal(record.quality, null, 'no stream carried RTP: no quality, the flag says why');
    assert.deepEqual(
      (await storage.index.search({ flag: 'no_media' })).items.map((r) => r.id),
      [record.id],
    );
    await rebuildIndex(storage, { name: 'cli:test', role: 'admin', from: 'local' });
    assert.ok(
      (await storage.index.getRecording(record.id))!.flags.includes('no_media'),
      'rebuild keeps the flag',
    );
    assert.equal(record.number, null);
    assert.equal(record.numberWithheld, true);
    const wav = await exportWav(record.id);
    assert.ok(durationSeconds(wav) >= 1.5, `duration ${durationSeconds(wav)}`);
    assert.ok(wav.data.every((b) => b === 0));
  });

  describe('disk full mid-call (real tmpfs)', () => {
    let mnt: string | undefined;
    afterEach(async () => {
      if (mnt === undefined) return;
      await storage.close();
      try {
        execFileSync('umount', [mnt], { stdio: 'ignore' });
      } catch {
        // left for the OS temp cleaner; the test already failed or skipped
      }
      mnt = undefined;
    });

    it('finalises what was flushed and indexes it (recovered) at once, without a restart', async function () {
      const m = join(dir, 'small');
      mkdirSync(m);
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', m], { stdio: 'ignore' });
      } catch {
        this.skip(); // needs root and mount permission to make a real ENOSPC (tmpfs of 4 MiB)
      }
      mnt = m;
      await storage.close();
      const small = loadConfig({ file: DEV_CONFIG, sets: [`storage.dir=${m}/storage`] });
      storage = await openStorage({ config: small, log: silentLogger() });
      const c = await call();
      const rec = await CallRecorder.start({
        session: new Session(sessionInfo()),
        streams: [
          { label: 'customer', side: 'customer', codec: 'PCMU', stream: c.left },
          { label: 'agent', side: 'agent', codec: 'PCMU', stream: c.right },
        ],
        storage,
        policy: small.policy,
        source: 'siprec',
        sampleRate: 8000,
        rtpTimeoutMs: 30_000,
        clock,
        tickMs: 5,
        log: process.env.DEBUG_DISKFULL ? createLogger('debug') : silentLogger(),
      });
      let failure: string | undefined;
      rec.on('failed', (err) => (failure = err.code));
      const free = (): number => {
        const s = statfsSync(m);
        return Number(s.bavail) * Number(s.bsize);
      };
      // Leave room for about one 2 s segment (stereo 16-bit 8 kHz: 64 000 bytes) plus the final
      // record and the index write; the call then runs into a full disk.
      writeFileSync(join(m, 'filler'), Buffer.alloc(Math.max(0, free() - 96 * 1024)));
      await play(c, 12);
      await until(() => failure !== undefined, 'the disk filled', 10_000);
      assert.equal(failure, 'CV_ERR_VAULT_DISK_FULL');
      const record = await rec.finish('bye');
      assert.ok(record, 'finish() resolves with the finalised recording');
      const indexed = await storage.index.getRecording(record.id);
      assert.ok(indexed, 'indexed without a restart');
      assert.equal(indexed.state, 'recovered');
      assert.ok(indexed.flags.includes('recovered'));
      assert.equal(indexed.number, '+46701234567');
      assert.ok(indexed.durationMs >= 1000 && indexed.durationMs < 12_000, `duration ${indexed.durationMs}`);
      const verified = await storage.vault.verify(record.id);
      assert.equal(verified.digest, indexed.digest);
      assert.equal(verified.recovered, true);
      console.log(`      disk full after ${indexed.durationMs} ms of 12 000; state ${indexed.state}`);
      await storage.close();
      rmSync(join(m, 'filler'));
      // The next open finds nothing left to recover: the recording was finished at the time.
      storage = await openStorage({ config: small, log: silentLogger() });
      assert.deepEqual(storage.startup.recovered, []);
      assert.deepEqual(storage.startup.tampered, []);
    });
  });
});
