import assert from 'node:assert/strict';
import { silentLogger } from '../../../agent/src/common/index.js';
import { importWav, openStorage, rebuildIndex, type Actor } from '../../../agent/src/storage/index.js';
import {
  BadFieldError,
  RetentionNotFoundError,
  rectifyRecording,
  setLegalHold,
} from '../../../agent/src/retention/index.js';
import { useTempStorage } from '../../helpers/temp-storage.js';
import { scanForPersonalData, wavOf } from '../../helpers/shred-scan.js';

const DPO: Actor = { name: 'dora', role: 'dpo', from: '127.0.0.1' };
const OLD = '+46701998877';
const NEW = '+46701223344';
const OLD_NAME = 'Wrongly Named';
const WAV = wavOf(Buffer.alloc(8000, 5));

describe('retention/rectify: the DPO corrects a call description', function () {
  this.timeout(30_000);
  const t = useTempStorage('cv-rectify-', ['policy.name=retta']);

  it('index and vault state get the new values; the old ones leave the index; digest still verifies; survives rebuild', async () => {
    const meta = { number: OLD, agent: '31', agentName: OLD_NAME, service: 'billing' };
    const id = (await importWav(t.storage, DPO, WAV, JSON.stringify(meta))).id;
    const needles = [OLD, OLD.slice(1), OLD_NAME];
    const control = scanForPersonalData(t.dir, t.config.keys.master_key_file, id, needles);
    assert.ok(control.hits.length > 0, 'the scanner reads the old values before');

    const r = await rectifyRecording(
      t.storage,
      DPO,
      id,
      { number: '+46 70 122 33 44', agentName: 'Right Name', direction: 'outbound' },
      'customer reported a wrong number',
    );
    assert.deepEqual(r.fields, ['agentName', 'direction', 'number']);
    const rec = await t.storage.index.getRecording(id);
    assert.deepEqual(
      [rec?.number, rec?.agentName, rec?.direction, rec?.service],
      [NEW, 'Right Name', 'outbound', 'billing'],
    );
    assert.deepEqual(
      rec?.participants.map((p) => [p.side, p.number, p.name]),
      [
        ['customer', NEW, null],
        ['agent', null, 'Right Name'],
      ],
    );
    assert.equal((await t.storage.index.search({ number: OLD })).items.length, 0, 'old number finds nothing');
    assert.equal((await t.storage.index.search({ number: NEW })).items.length, 1);
    const entry = (await t.storage.index.listAudit()).at(-1);
    assert.equal(entry?.action, 'rectify');
    assert.deepEqual(entry?.detail, { fields: ['agentName', 'direction', 'number'] });
    assert.ok(!JSON.stringify(entry).includes('Right Name') && !JSON.stringify(entry).includes(NEW.slice(3)));
    // The container is untouched: its signed digest still matches.
    assert.equal((await t.storage.vault.verify(id)).digest, rec?.digest);
    // A later DPO action keeps the rectification in the sidecar.
    await setLegalHold(t.storage, DPO, id, true, 'complaint pending');

    const after = scanForPersonalData(t.dir, t.config.keys.master_key_file, id, needles);
    assert.deepEqual(after.hits, [], 'old values in the index files or the sidecar');
    process.stdout.write(
      `      after rectify: ${after.files} files, ${after.tokens} base64 runs, ${after.decrypted} decrypted, 0 hits of the old values\n`,
    );

    await rebuildIndex(t.storage, DPO);
    const rebuilt = await t.storage.index.getRecording(id);
    assert.deepEqual(
      [rebuilt?.number, rebuilt?.agentName, rebuilt?.direction, rebuilt?.legalHold],
      [NEW, 'Right Name', 'outbound', true],
    );
  });

  it('a crash between the sidecar and the index write: the next start brings the index up to the vault', async () => {
    const id = (await importWav(t.storage, DPO, WAV, JSON.stringify({ number: OLD, agentName: OLD_NAME })))
      .id;
    // What rectifyRecording writes first, without the index write that follows it.
    await t.storage.vault.writeState(id, {
      legalHold: false,
      restricted: false,
      case: null,
      anonymised: null,
      rectified: { number: NEW, agentName: null },
    });
    assert.equal((await t.storage.index.getRecording(id))?.number, OLD);
    await t.storage.close();
    t.storage = await openStorage({ config: t.config, log: silentLogger() });
    const rec = await t.storage.index.getRecording(id);
    assert.deepEqual([rec?.number, rec?.agentName], [NEW, null]);
    assert.deepEqual(
      rec?.participants.map((p) => p.number),
      [NEW, null],
    );
  });

  it('refuses unknown fields, bad values, unknown ids: nothing changed, audited as refused', async () => {
    const id = (await importWav(t.storage, DPO, WAV, JSON.stringify({ number: OLD }))).id;
    const bad: [string, Record<string, unknown>, new (...a: never[]) => Error][] = [
      [id, { startedAt: '2020-01-01T00:00:00Z' }, BadFieldError],
      [id, { number: 'not a number' }, BadFieldError],
      [id, { direction: 'sideways' }, BadFieldError],
      [id, {}, BadFieldError],
      ['00000000-0000-4000-8000-000000000000', { service: 'x' }, RetentionNotFoundError],
    ];
    for (const [rid, input, cls] of bad) {
      await assert.rejects(rectifyRecording(t.storage, DPO, rid, input, 'a reason'), cls);
      assert.equal((await t.storage.index.listAudit()).at(-1)?.action, 'rectify_refused');
    }
    assert.equal((await t.storage.index.getRecording(id))?.number, OLD);
    assert.equal(await t.storage.vault.readState(id), null, 'no sidecar written');
  });
});
