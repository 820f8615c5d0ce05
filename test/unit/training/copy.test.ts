/**
 * training/copy.ts against real storage: the copy is a new, sealed, indexed recording without
 * any identifier of the original, its DTMF silenced, its own retention, and independent of the
 * original (erasing one leaves the other).
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { importWav, rebuildIndex, type Actor } from '../../../agent/src/storage/index.js';
import { eraseRecording, setRestriction } from '../../../agent/src/retention/index.js';
import {
  channelsToWav,
  detectDtmf,
  makeTrainingCopy,
  wavToChannels,
} from '../../../agent/src/training/index.js';
import { useTempStorage } from '../../helpers/temp-storage.js';
import { dtmfPcm } from '../../helpers/dtmf.js';

const DPO: Actor = { name: 'dora', role: 'dpo', from: '127.0.0.1' };
const NUMBER = '+46701234567';
const META = {
  number: NUMBER,
  agent: '4711',
  agentName: 'Agnes Agentsson',
  service: 'billing',
  caseId: 'CASE-99-SECRET',
  consent: 'given',
  startedAt: '2026-11-20T09:41:17.250Z',
};

describe('training/copy: a pseudonymised training copy', function () {
  this.timeout(60_000);
  const t = useTempStorage('cv-training-', ['policy.name=arlo']);
  let original: string;
  beforeEach(async () => {
    // The customer keys a card number on the left; the agent's channel hears it faintly.
    const left = dtmfPcm('4012888888881881', 8000).pcm;
    const right = dtmfPcm('4012888888881881', 8000, { amp: 0.02 }).pcm;
    const wav = channelsToWav({ sampleRate: 8000, channels: [left, right] });
    original = (await importWav(t.storage, DPO, wav, JSON.stringify(META))).id;
  });

  it('is a new recording with no identifier of the original and no detectable DTMF', async () => {
    const before = wavToChannels(await (await t.storage.vault.openReader(original)).readAll());
    assert.equal(
      detectDtmf(before.channels[0]!, 8000)
        .map((d) => d.digit)
        .join(''),
      '4012888888881881',
    );
    const now = new Date('2026-12-04T15:30:00Z');
    const copy = await makeTrainingCopy(t.storage, DPO, original, 'onboarding set', now);
    assert.notEqual(copy.id, original);
    assert.ok(copy.maskedSpans >= 1);

    const rec = (await t.storage.index.getRecording(copy.id))!;
    assert.deepEqual(
      [rec.number, rec.agent, rec.agentName, rec.caseId, rec.participants, rec.flags, rec.codec, rec.stats],
      [null, null, null, null, [], ['training'], null, null],
    );
    assert.equal(rec.startedAt, '2026-12-04T00:00:00.000Z', 'the day the copy was made, not the call');
    assert.equal(rec.expiresAt, '2027-03-04T00:00:00.000Z', "Arlo's 90 days from that day");
    assert.deepEqual([rec.service, rec.direction, rec.policy], ['billing', 'inbound', 'arlo']);
    assert.deepEqual((await t.storage.vault.verify(copy.id)).ok, true, 'sealed and signed');

    const reader = await t.storage.vault.openReader(copy.id);
    const container = JSON.stringify(reader.metadata) + JSON.stringify(rec);
    const wav = await reader.readAll();
    for (const secret of [NUMBER, '4711', 'Agnes', 'CASE-99', original, '09:41', '2026-11-20']) {
      assert.ok(!container.includes(secret), `${secret} in the copy's metadata or record`);
      assert.ok(!wav.includes(Buffer.from(secret)), `${secret} in the copy's WAV`);
    }
    const after = wavToChannels(wav);
    assert.equal(after.channels.length, 2);
    for (const ch of after.channels) assert.deepEqual(detectDtmf(ch, 8000, { minBlocks: 1 }), []);
    const entry = (await t.storage.index.listAudit()).find((e) => e.action === 'training_copy');
    assert.deepEqual(
      [entry?.recordingId, entry?.reason, entry?.detail?.['copyId']],
      [original, 'onboarding set', copy.id],
      'the link lives in the audit log only',
    );
  });

  it('is rebuilt from the vault alone as the same record (flag, day, retention)', async () => {
    const copy = await makeTrainingCopy(
      t.storage,
      DPO,
      original,
      'onboarding set',
      new Date('2026-12-04T15:30:00Z'),
    );
    const before = await t.storage.index.getRecording(copy.id);
    await rebuildIndex(t.storage, DPO);
    assert.deepEqual(await t.storage.index.getRecording(copy.id), before);
  });

  it('is independent: erasing the original leaves the copy, and the reverse', async () => {
    const a = await makeTrainingCopy(t.storage, DPO, original, 'onboarding set');
    const b = await makeTrainingCopy(t.storage, DPO, original, 'second cohort');
    await eraseRecording(t.storage, DPO, original, 'consent withdrawn');
    assert.equal(await t.storage.index.getRecording(original), null);
    assert.ok((await t.storage.vault.verify(a.id)).ok);
    await eraseRecording(t.storage, DPO, a.id, 'no longer needed');
    assert.ok((await t.storage.vault.verify(b.id)).ok);
    const names = readdirSync(t.dir, { recursive: true }).map(String);
    assert.ok(!names.some((n) => n.includes(original) || n.includes(a.id)));
    assert.ok(names.some((n) => n.includes(b.id)));
  });

  it('refuses an unknown or restricted recording: coded, audited, nothing written', async () => {
    await assert.rejects(
      makeTrainingCopy(t.storage, DPO, '00000000-0000-4000-8000-000000000000', 'no such'),
      {
        code: 'CV_ERR_RETENTION_NOT_FOUND',
      },
    );
    await setRestriction(t.storage, DPO, original, true, 'accuracy disputed');
    await assert.rejects(makeTrainingCopy(t.storage, DPO, original, 'while restricted'), {
      code: 'CV_ERR_RETENTION_RESTRICTED',
    });
    assert.deepEqual(
      (await t.storage.index.listAudit())
        .filter((e) => e.action === 'training_copy_refused')
        .map((e) => e.detail?.['code']),
      ['CV_ERR_RETENTION_NOT_FOUND', 'CV_ERR_RETENTION_RESTRICTED'],
    );
    assert.deepEqual(await t.storage.vault.listIds(), [original]);
  });
});
