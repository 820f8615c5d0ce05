/**
 * The recorder over real parts: a real media receiver on 127.0.0.1 fed real RTP, real storage
 * (vault + index) in a temp dir. Time is compressed with an injected clock: the test advances
 * it packet by packet and waits (bounded) until the receiver has the packets.
 */
import assert from 'node:assert/strict';
import { rebuildIndex } from '../../../agent/src/storage/index.js';
import { Session } from '../../../agent/src/session/index.js';
import { channelFrequency, durationSeconds } from '../../helpers/audio.js';
import { T0, sessionInfo } from './recorder-rig.js';
import { useRecorderRig } from './fixtures.js';

describe('recorder/call-recorder', function () {
  this.timeout(60_000);
  const rig = useRecorderRig();

  it('records caller left (440 Hz) and agent right (1000 Hz), 10 s, indexed with metadata and stats', async () => {
    const c = await rig.call();
    const session = new Session(sessionInfo());
    const rec = await rig.start(c, { session });
    await rig.play(c, 10, { lossEvery: 20 });
    const record = await rec.finish('bye');
    assert.ok(record);
    const wav = await rig.exportWav(record.id);
    assert.equal(wav.channels, 2);
    assert.ok(Math.abs(durationSeconds(wav) - 10) <= 0.2, `duration ${durationSeconds(wav)}`);
    assert.ok(Math.abs(channelFrequency(wav, 0) - 440) < 10, `left ${channelFrequency(wav, 0)}`);
    assert.ok(Math.abs(channelFrequency(wav, 1) - 1000) < 10, `right ${channelFrequency(wav, 1)}`);
    const indexed = await rig.storage.index.getRecording(record.id);
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
    assert.ok((await rig.storage.vault.verify(record.id)).ok);

    // Per-call quality: the worst stream decides; stored in the index and in the container.
    const q = indexed.quality!;
    const mosOf = (label: string): number => (streams[label] as unknown as { mos: number }).mos;
    assert.equal(q.lossPct, 5, 'the lossy customer stream');
    assert.equal(q.mos, Math.round(Math.min(mosOf('customer'), mosOf('agent')) * 100) / 100);
    assert.ok(q.mos! < mosOf('agent'), `loss lowers the call's MOS: ${q.mos} < ${mosOf('agent')}`);
    assert.ok(q.jitterMs !== null && q.jitterMs >= 0);
    assert.deepEqual((await rig.storage.vault.readMetadata(record.id))['quality'], q);
    const lowMos = await rig.storage.index.search({ maxMos: q.mos! });
    assert.deepEqual(
      lowMos.items.map((r) => r.id),
      [record.id],
    );
    assert.equal((await rig.storage.index.search({ minMos: q.mos! + 0.01 })).items.length, 0);
    await rebuildIndex(rig.storage, { name: 'cli:test', role: 'admin', from: 'local' });
    assert.deepEqual((await rig.storage.index.getRecording(record.id))!.quality, q, 'rebuild restores quality');
  });

  it('keeps a call on hold: silence in the gap, no RTP timeout', async () => {
    const c = await rig.call();
    const session = new Session(sessionInfo());
    const rec = await rig.start(c, { session, rtpTimeoutMs: 2_000 });
    let timedOut = false;
    rec.on('rtp_timeout', () => (timedOut = true));
    session.hold(new Date(T0 + 3000));
    await rig.play(c, 10, { holdFrom: 150, holdTo: 400 });
    session.unhold();
    const record = await rec.finish('bye');
    assert.equal(timedOut, false);
    const wav = await rig.exportWav(record!.id);
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

  it('stores a stream that never sent RTP as silence, flagged no_media; a withheld number is not stored', async () => {
    const c = await rig.call();
    const info = sessionInfo();
    const session = new Session({
      ...info,
      participants: info.participants.map((p) =>
        p.id === 'caller' ? { ...p, number: null, name: null, aor: null, withheld: true } : p,
      ),
    });
    const rec = await rig.start(c, { session });
    rig.now = T0 + 2000;
    const record = await rec.finish('bye');
    assert.ok(record);
    assert.ok(record.flags.includes('no_media'));
    assert.equal(record.quality, null, 'no stream carried RTP: no quality, the flag says why');
    assert.deepEqual(
      (await rig.storage.index.search({ flag: 'no_media' })).items.map((r) => r.id),
      [record.id],
    );
    await rebuildIndex(rig.storage, { name: 'cli:test', role: 'admin', from: 'local' });
    assert.ok(
      (await rig.storage.index.getRecording(record.id))!.flags.includes('no_media'),
      'rebuild keeps the flag',
    );
    assert.equal(record.number, null);
    assert.equal(record.numberWithheld, true);
    const wav = await rig.exportWav(record.id);
    assert.ok(durationSeconds(wav) >= 1.5, `duration ${durationSeconds(wav)}`);
    assert.ok(wav.data.every((b) => b === 0));
  });
});
