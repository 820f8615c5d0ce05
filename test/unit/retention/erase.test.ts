import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { importWav, type Actor } from '../../../agent/src/storage/index.js';
import {
  eraseRecording,
  LegalHoldError,
  RestrictedError,
  RetentionNotFoundError,
  setLegalHold,
  setRestriction,
} from '../../../agent/src/retention/index.js';
import { useTempStorage } from '../../helpers/temp-storage.js';
import { wavOf } from '../../helpers/shred-scan.js';

const DPO: Actor = { name: 'dora', role: 'dpo', from: '127.0.0.1' };
const WAV = wavOf(Buffer.alloc(8000, 3));

function filesNaming(root: string, id: string): string[] {
  return readdirSync(root, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.includes(id))
    .map((e) => join(e.parentPath, e.name));
}

describe('retention/erase: one recording, by the DPO', function () {
  this.timeout(30_000);
  const t = useTempStorage('cv-erase-', ['policy.name=retta']);

  const imp = async (number: string): Promise<string> =>
    (await importWav(t.storage, DPO, WAV, JSON.stringify({ number, agent: '12' }))).id;

  it('crypto-shreds: no file of the id is left, the index forgets it, the audit says who and why', async () => {
    const id = await imp('+46701230001');
    const other = await imp('+46701230002');
    await setRestriction(t.storage, DPO, id, true, 'accuracy disputed');
    await setRestriction(t.storage, DPO, id, false, 'settled'); // leaves a state sidecar
    assert.ok(filesNaming(t.dir, id).length >= 2, 'container and sidecar exist before');
    assert.deepEqual(await eraseRecording(t.storage, DPO, id, 'subject asked, ticket 4'), { id });
    assert.deepEqual(filesNaming(t.dir, id), []);
    assert.equal(await t.storage.index.getRecording(id), null);
    assert.equal(await t.storage.vault.hasDataKey(id), false);
    assert.notEqual(await t.storage.index.getRecording(other), null, 'the other recording is untouched');
    const last = (await t.storage.index.listAudit()).at(-1);
    assert.deepEqual(
      [last?.action, last?.recordingId, last?.actor, last?.reason],
      ['erase', id, 'dora', 'subject asked, ticket 4'],
    );
    assert.equal((await t.storage.index.verifyAudit()).ok, true);
    await assert.rejects(eraseRecording(t.storage, DPO, id, 'again please'), RetentionNotFoundError);
  });

  it('refuses while on legal hold or restricted, and an unknown id: nothing changed, audited as refused', async () => {
    const held = await imp('+46701230003');
    const restricted = await imp('+46701230004');
    await setLegalHold(t.storage, DPO, held, true, 'police case 2026/1');
    await setRestriction(t.storage, DPO, restricted, true, 'accuracy disputed');
    const before = [filesNaming(t.dir, held).length, filesNaming(t.dir, restricted).length];
    const cases: [string, new (...a: never[]) => Error, string][] = [
      [held, LegalHoldError, 'CV_ERR_RETENTION_LEGAL_HOLD'],
      [restricted, RestrictedError, 'CV_ERR_RETENTION_RESTRICTED'],
      ['00000000-0000-4000-8000-000000000000', RetentionNotFoundError, 'CV_ERR_RETENTION_NOT_FOUND'],
    ];
    for (const [id, cls, code] of cases) {
      await assert.rejects(eraseRecording(t.storage, DPO, id, 'subject asked'), (err: unknown) => {
        assert.ok(err instanceof cls);
        assert.equal((err as Error & { code?: string }).code, code);
        return true;
      });
      const last = (await t.storage.index.listAudit()).at(-1);
      assert.deepEqual([last?.action, last?.recordingId, last?.detail], ['erase_refused', id, { code }]);
    }
    assert.deepEqual([filesNaming(t.dir, held).length, filesNaming(t.dir, restricted).length], before);
    assert.equal((await t.storage.index.getRecording(held))?.legalHold, true);
    assert.equal(await t.storage.vault.hasDataKey(restricted), true);
  });
});
