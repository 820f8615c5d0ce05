/**
 * The recorder over real parts (as call-recorder.test.ts): how a recording ends other than by
 * hang-up — consent decided by a digit, and a disk that fills mid-call.
 */
import assert from 'node:assert/strict';
import { rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../../agent/src/config/index.js';
import { openStorage } from '../../../agent/src/storage/index.js';
import { Session } from '../../../agent/src/session/index.js';
import { createLogger, silentLogger } from '../../../agent/src/common/index.js';
import { DEV_CONFIG } from '../../helpers/daemon.js';
import { until } from '../../helpers/until.js';
import { useTmpfs } from '../../helpers/tmpfs.js';
import { sessionInfo } from './recorder-rig.js';
import { useRecorderRig } from './fixtures.js';

describe('recorder/call-recorder: consent digits and disk full', function () {
  this.timeout(60_000);
  const rig = useRecorderRig();

  it('under a DTMF consent policy, digit 2 destroys the recording and 1 keeps it', async () => {
    const arlo = loadConfig({ file: DEV_CONFIG, sets: [`storage.dir=${rig.dir}`, 'policy.name=arlo'] }).policy;
    for (const [digit, kept] of [
      [2, false],
      [1, true],
    ] as const) {
      const c = await rig.call();
      const session = new Session(sessionInfo());
      const rec = await rig.start(c, { session, policy: arlo });
      let discarded = false;
      rec.on('discarded', () => (discarded = true));
      await rig.play(c, 3, { dtmf: { atPacket: 20, event: digit } });
      await until(() => rec.consent !== 'pending', 'consent decision');
      const record = await rec.finish('bye');
      assert.equal(discarded, !kept, `digit ${digit}`);
      assert.equal(record !== null, kept, `digit ${digit}`);
      assert.equal(await rig.storage.vault.has(rec.id), kept);
      if (record !== null) {
        const stored = (await rig.storage.index.getRecording(record.id))!;
        assert.equal(stored.consent, 'given');
        // The evidence is in the container's metadata too, so a rebuild keeps it.
        assert.deepEqual(
          [stored.consentEvidence?.via, stored.consentEvidence?.digit, stored.consentEvidence?.stream],
          ['dtmf', '1', 'customer'],
        );
        assert.deepEqual(
          (await rig.storage.vault.readMetadata(record.id))['consentEvidence'],
          stored.consentEvidence,
        );
      }
      await rig.receiver.release(c.left);
      await rig.receiver.release(c.right);
    }
  });

  it("under a DTMF consent policy, the accept digit on the agent's stream is no consent", async () => {
    const arlo = loadConfig({ file: DEV_CONFIG, sets: [`storage.dir=${rig.dir}`, 'policy.name=arlo'] }).policy;
    const c = await rig.call();
    const rec = await rig.start(c, {
      // play() sends the digit on c.left: here that is the agent's stream.
      streams: [
        { label: 'agent', side: 'agent', codec: 'PCMU', stream: c.left },
        { label: 'customer', side: 'customer', codec: 'PCMU', stream: c.right },
      ],
      policy: arlo,
    });
    let discarded: string | null = null;
    rec.on('discarded', (reason) => (discarded = reason));
    await rig.play(c, 3, { dtmf: { atPacket: 20, event: 1 } });
    await until(() => c.left.dtmfEventCount > 0, 'the digit reached the agent stream');
    // Give the recorder's ticks a chance to see the digit before the call ends.
    rig.now += 100;
    await until(() => rec.consent === 'pending' && c.left.dtmfEventCount === 1, 'digit seen, still pending');
    assert.equal(rec.consent, 'pending', 'a digit on the agent stream decides nothing');
    const record = await rec.finish('bye');
    assert.equal(record, null, 'no consent from the customer: nothing kept');
    assert.equal(discarded, 'no_answer');
    assert.equal(await rig.storage.vault.has(rec.id), false);
    await rig.receiver.release(c.left);
    await rig.receiver.release(c.right);
  });

  describe('disk full mid-call (real tmpfs)', () => {
    const tmpfs = useTmpfs(() => rig.storage.close());

    it('finalises what was flushed and indexes it (recovered) at once, without a restart', async function () {
      const m = tmpfs.mount(this, join(rig.dir, 'small'), '4m');
      await rig.storage.close();
      const small = loadConfig({ file: DEV_CONFIG, sets: [`storage.dir=${m}/storage`] });
      rig.storage = await openStorage({ config: small, log: silentLogger() });
      const c = await rig.call();
      const rec = await rig.start(c, {
        policy: small.policy,
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
      await rig.play(c, 12);
      await until(() => failure !== undefined, 'the disk filled', 10_000);
      assert.equal(failure, 'CV_ERR_VAULT_DISK_FULL');
      const record = await rec.finish('bye');
      assert.ok(record, 'finish() resolves with the finalised recording');
      const indexed = await rig.storage.index.getRecording(record.id);
      assert.ok(indexed, 'indexed without a restart');
      assert.equal(indexed.state, 'recovered');
      assert.ok(indexed.flags.includes('recovered'));
      assert.equal(indexed.number, '+46701234567');
      assert.ok(indexed.durationMs >= 1000 && indexed.durationMs < 12_000, `duration ${indexed.durationMs}`);
      const verified = await rig.storage.vault.verify(record.id);
      assert.equal(verified.digest, indexed.digest);
      assert.equal(verified.recovered, true);
      console.log(`      disk full after ${indexed.durationMs} ms of 12 000; state ${indexed.state}`);
      await rig.storage.close();
      rmSync(join(m, 'filler'));
      // The next open finds nothing left to recover: the recording was finished at the time.
      rig.storage = await openStorage({ config: small, log: silentLogger() });
      assert.deepEqual(rig.storage.startup.recovered, []);
      assert.deepEqual(rig.storage.startup.tampered, []);
    });
  });
});
