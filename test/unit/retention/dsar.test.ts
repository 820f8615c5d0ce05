/** dsar.ts on real storage: who is in the archive, restricted and held included, refusals audited. */
import assert from 'node:assert/strict';
import { MalformedNumberError, TarFollower } from '../../../agent/src/common/index.js';
import { importWav, type Actor, type Storage } from '../../../agent/src/storage/index.js';
import {
  dsarExport,
  setLegalHold,
  setRestriction,
  type DsarManifest,
} from '../../../agent/src/retention/index.js';
import { useTempStorage } from '../../helpers/temp-storage.js';
import { wavOf } from '../../helpers/shred-scan.js';

const ACTOR: Actor = { name: 'dpo-test', role: 'dpo', from: 'local' };
const REASON = 'identity checked against the signed request';

async function archiveOf(
  s: Storage,
  number: string,
): Promise<{ manifest: DsarManifest; files: Map<string, number> }> {
  const files = new Map<string, number>();
  const manifest: Buffer[] = [];
  const f = new TarFollower({
    onEntry: (e) => files.set(e.path, e.size),
    wantData: (e) => e.path === 'manifest.json',
    onData: (_e, c) => manifest.push(Buffer.from(c)),
  });
  await dsarExport(s, ACTOR, number, REASON, async (chunk) => f.push(chunk));
  return { manifest: JSON.parse(Buffer.concat(manifest).toString('utf8')) as DsarManifest, files };
}

describe('retention/dsar', function () {
  this.timeout(60_000);
  const t = useTempStorage('cv-dsar-unit-', ['sip.default_country=SE']);

  it('holds every recording of the subject, restricted and held ones too, and no agent identity', async () => {
    const wav = wavOf(Buffer.alloc(8000, 3));
    const meta = (number: string): string =>
      JSON.stringify({ number, agent: '4711', agentName: 'Agneta Agentsson', service: 'rent' });
    const a1 = (await importWav(t.storage, ACTOR, wav, meta('+46701234567'))).id;
    const a2 = (await importWav(t.storage, ACTOR, wav, meta('070-123 45 67'))).id;
    const b = (await importWav(t.storage, ACTOR, wav, meta('+46709999999'))).id;
    await setRestriction(t.storage, ACTOR, a1, true, 'accuracy disputed by the caller');
    await setLegalHold(t.storage, ACTOR, a2, true, 'police request 2026/12');

    const { manifest, files } = await archiveOf(t.storage, '0701234567');
    assert.deepEqual(manifest.recordings.map((r) => r.id).sort(), [a1, a2].sort());
    assert.ok(!manifest.recordings.some((r) => r.id === b));
    const byId = new Map(manifest.recordings.map((r) => [r.id, r]));
    assert.equal(byId.get(a1)!.restricted, true);
    assert.equal(byId.get(a2)!.legalHold, true);
    assert.deepEqual(
      [...files.keys()].sort(),
      ['manifest.json', `audio/${a1}.wav`, `audio/${a2}.wav`].sort(),
    );
    const text = JSON.stringify(manifest);
    for (const hidden of ['Agneta', '4711', '+46709999999']) assert.ok(!text.includes(hidden), hidden);
    assert.deepEqual(byId.get(a1)!.counterpart, { role: 'agent' });
  });

  it('a number nobody has gives an empty archive; a malformed one is refused and audited', async () => {
    const { manifest, files } = await archiveOf(t.storage, '+46 8 123 456 78');
    assert.equal(manifest.recordingCount, 0);
    assert.deepEqual([...files.keys()], ['manifest.json']);
    const sent: Buffer[] = [];
    await assert.rejects(
      dsarExport(t.storage, ACTOR, '+46 70 12x', REASON, async (c) => void sent.push(c)),
      (err: unknown) => err instanceof MalformedNumberError && err.code === 'CV_ERR_NUMBER_MALFORMED',
    );
    assert.equal(sent.length, 0, 'nothing leaves before the number is accepted');
    const entries = (await t.storage.index.listAudit()).filter((e) => e.action === 'dsar_export');
    assert.deepEqual(
      entries.map((e) => (e.detail as { outcome: string }).outcome),
      ['exported', 'refused'],
    );
    assert.ok(entries.every((e) => e.reason === REASON));
  });
});
