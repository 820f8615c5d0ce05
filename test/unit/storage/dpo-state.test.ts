import assert from 'node:assert/strict';
import { readFileSync, readdirSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '../../../agent/src/common/index.js';
import {
  dpoStateOf,
  importWav,
  openStorage,
  parseImportMeta,
  rebuildIndex,
  recordFromParts,
  showRecording,
  type Actor,
  type Storage,
} from '../../../agent/src/storage/index.js';
import {
  anonymised,
  linkCase,
  runRetention,
  setCaseState,
  setLegalHold,
  setRestriction,
} from '../../../agent/src/retention/index.js';
import { useStorageDir } from '../../helpers/temp-storage.js';
import { wavOf } from '../../helpers/shred-scan.js';

const ACTOR: Actor = { name: 'cli:test', role: 'dpo', from: 'local' };
const DAY_MS = 86_400_000;

const WAV = wavOf(Buffer.alloc(16000, 3));

async function importOne(s: Storage, meta: Record<string, unknown>): Promise<string> {
  return (await importWav(s, ACTOR, WAV, JSON.stringify(meta))).id;
}

/** What `recordings show --json` prints, without what a rebuild derives again (call stats). */
async function shown(s: Storage, ids: readonly string[]): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const id of ids) {
    const { stats: _stats, ...rest } = await showRecording(s, id);
    out.push(JSON.parse(JSON.stringify(rest)) as Record<string, unknown>);
  }
  return out;
}

async function decisions(s: Storage, times: readonly Date[]): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const at of times) {
    const r = await runRetention(s, ACTOR, { at, dryRun: true });
    out.push({ at: r.at, deleted: r.deleted, anonymised: r.anonymised, kept: [...r.keptOnHold].sort() });
  }
  return out;
}

describe('storage/dpo-state: the vault is the source of truth for what the DPO set', function () {
  this.timeout(60_000);
  const t = useStorageDir('cv-dpo-');

  it('hold, restriction, case link + close and consent evidence survive index rebuild and re-indexing', async () => {
    // An override of the selected policy: retention must use it, not the preset's 365 days.
    const config = t.configFor(['policy.name=hrm', 'policy.retention_days=7']);
    let s = await openStorage({ config, log: silentLogger() });
    const ids: string[] = [];
    try {
      const held = await importOne(s, { number: '+46701110001', agent: '11' });
      const restricted = await importOne(s, { number: '+46701110002', agent: '12' });
      const cased = await importOne(s, { number: '+46701110003', agent: '13' });
      const plain = await importOne(s, { number: '+46701110004', agent: '14' });
      // Consent decided by a digit during the call: the recorder writes it into the container.
      const meta = parseImportMeta(JSON.stringify({ number: '+46701110005' }), config.policy, new Date());
      const evidence = { via: 'dtmf' as const, digit: '1', stream: 'caller', at: new Date().toISOString() };
      const w = await s.vault.createRecording({
        format: { encoding: 'pcm16', channels: 1, sampleRate: 8000 },
        metadata: { ...meta, consent: 'given', consentEvidence: evidence },
        startedAt: new Date(meta.startedAt),
      });
      w.append(Buffer.alloc(16000, 5));
      const fin = await w.finalize();
      await s.index.putRecording(
        recordFromParts(
          fin.id,
          { ...meta, consent: 'given', consentEvidence: evidence },
          fin,
          fin.format,
          config.policy,
        ),
      );
      ids.push(held, restricted, cased, plain, fin.id);
      await setLegalHold(s, ACTOR, held, true, 'police request 17');
      await setRestriction(s, ACTOR, restricted, true, 'accuracy disputed');
      await linkCase(s, ACTOR, cased, 'CASE-2026-7');
      await setCaseState(s, ACTOR, 'CASE-2026-7', new Date(Date.now() + 20 * DAY_MS));

      const before = await shown(s, ids);
      assert.equal(before[0]?.['legalHold'], true);
      assert.equal(before[1]?.['restricted'], true);
      assert.equal(before[2]?.['caseId'], 'CASE-2026-7');
      assert.ok(typeof before[2]?.['caseClosedAt'] === 'string');
      assert.deepEqual(before[4]?.['consentEvidence'], evidence);
      const times = [8, 30, 400].map((d) => new Date(Date.now() + d * DAY_MS));
      const decided = await decisions(s, times);

      const report = await rebuildIndex(s, ACTOR);
      assert.equal(report.recordings, 5);
      assert.deepEqual(report.stateTampered, []);
      assert.deepEqual(await shown(s, ids), before, 'recordings show after index rebuild');
      assert.deepEqual(await decisions(s, times), decided, 'retention decisions after index rebuild');
      await s.close();

      // Re-indexing when the index directory is lost altogether (the `index rebuild` open).
      rmSync(join(t.dir, 'index'), { recursive: true, force: true });
      // A lost index is an integrity error at a plain start; `index rebuild` opens it anew.
      await assert.rejects(openStorage({ config, log: silentLogger() }), { code: 'CV_ERR_INDEX_CORRUPT' });
      s = await openStorage({ config, log: silentLogger(), resetIndex: true });
      assert.equal(s.startup.reindexed.length, 5);
      assert.deepEqual(await shown(s, ids), before, 'recordings show after start-up re-indexing');
      assert.deepEqual(await decisions(s, times), decided, 'retention decisions after start-up re-indexing');
      process.stdout.write(
        `      rebuilt ${report.recordings} recordings; ${times.length} dry runs identical: ${JSON.stringify(decided.map((d) => (d as { deleted: string[] }).deleted.length))} deletions\n`,
      );
    } finally {
      await s.close();
    }
  });

  it('an anonymised recording keeps its case record through rebuild; no container is needed', async () => {
    const config = t.configFor(['policy.name=upplands-bro']);
    let s = await openStorage({ config, log: silentLogger() });
    try {
      const id = await importOne(s, { number: '+46701110009', agent: '19', agentName: 'Anna Agent' });
      const other = await importOne(s, { number: '+46701110010', agent: '20' });
      await linkCase(s, ACTOR, id, 'UB-42');
      const closed = new Date(Date.now() + DAY_MS);
      await setCaseState(s, ACTOR, 'UB-42', closed);
      await setRestriction(s, ACTOR, other, true, 'accuracy disputed');
      const report = await runRetention(s, ACTOR, {
        at: new Date(closed.getTime() + 31 * DAY_MS),
        force: true,
      });
      assert.deepEqual(report.anonymised, [id]);
      assert.equal(await s.vault.has(id), false, 'the audio is gone');
      const before = await shown(s, [id, other]);
      assert.equal(before[0]?.['number'], null);
      assert.equal(before[0]?.['caseId'], 'UB-42');
      assert.ok((before[0]?.['flags'] as string[]).includes('anonymised'));
      const times = [40, 400].map((d) => new Date(Date.now() + d * DAY_MS));
      const decided = await decisions(s, times);
      assert.equal((await rebuildIndex(s, ACTOR)).recordings, 2);
      assert.deepEqual(await shown(s, [id, other]), before);
      assert.deepEqual(await decisions(s, times), decided);
      assert.equal((await s.index.search({ caseId: 'UB-42' })).items.length, 1, 'still found by its case');
      await s.close();
      rmSync(join(t.dir, 'index'), { recursive: true, force: true });
      // A lost index is an integrity error at a plain start; `index rebuild` opens it anew.
      await assert.rejects(openStorage({ config, log: silentLogger() }), { code: 'CV_ERR_INDEX_CORRUPT' });
      s = await openStorage({ config, log: silentLogger(), resetIndex: true });
      assert.deepEqual(await shown(s, [id, other]), before, 'after start-up re-indexing');
    } finally {
      await s.close();
    }
  });

  it('a hold written to the vault but not yet to the index (crash between) is in the index after the next start', async () => {
    const config = t.configFor(['policy.name=hrm']);
    let s = await openStorage({ config, log: silentLogger() });
    try {
      const id = await importOne(s, { number: '+46701110013' });
      const rec = await showRecording(s, id);
      await s.vault.writeState(id, { ...dpoStateOf({ ...rec, legalHold: true, restricted: true }, false) });
      assert.equal((await showRecording(s, id)).legalHold, false, 'the index is behind');
      await s.close();
      s = await openStorage({ config, log: silentLogger() });
      const after = await showRecording(s, id);
      assert.deepEqual([after.legalHold, after.restricted], [true, true]);
    } finally {
      await s.close();
    }
  });

  it('an anonymisation interrupted after its sidecar was written is finished at the next start', async () => {
    const config = t.configFor(['policy.name=upplands-bro']);
    let s = await openStorage({ config, log: silentLogger() });
    try {
      const id = await importOne(s, { number: '+46701110012', caseId: 'UB-8' });
      const rec = await showRecording(s, id);
      // The first step of anonymiseRecording, then the process dies.
      await s.vault.writeState(id, { ...dpoStateOf({ ...rec, ...anonymised(rec) }, false) });
      await s.close();
      s = await openStorage({ config, log: silentLogger() });
      assert.equal(await s.vault.has(id), false, 'audio and data key gone');
      const after = await showRecording(s, id);
      assert.deepEqual(
        [after.number, after.caseId, after.flags.includes('anonymised')],
        [null, 'UB-8', true],
      );
    } finally {
      await s.close();
    }
  });

  it('index rebuild indexes the rest when one container cannot be read, and reports it', async () => {
    const config = t.configFor(['policy.name=hrm']);
    const s = await openStorage({ config, log: silentLogger() });
    try {
      const good = await importOne(s, { number: '+46701110014' });
      await setLegalHold(s, ACTOR, good, true, 'evidence');
      const lost = await importOne(s, { number: '+46701110015' });
      // The data key destroyed, the file put back (an erasure interrupted, or a keystore restored from an older backup).
      const file = findFile(t.dir, `${lost}.wav.enc`);
      copyFileSync(file, `${t.dir}/saved`);
      await s.vault.erase(lost);
      copyFileSync(`${t.dir}/saved`, file);
      const r = await rebuildIndex(s, ACTOR);
      assert.deepEqual(r.unreadable, [{ id: lost, code: 'CV_ERR_VAULT_KEY_DESTROYED' }]);
      assert.equal(r.recordings, 1);
      assert.equal((await showRecording(s, good)).legalHold, true);
    } finally {
      await s.close();
    }
  });

  it('a tampered, replayed or deleted sidecar is an integrity error, and the recording is held', async () => {
    const config = t.configFor(['policy.name=hrm']);
    let s = await openStorage({ config, log: silentLogger() });
    try {
      const id = await importOne(s, { number: '+46701110011' });
      await setLegalHold(s, ACTOR, id, true, 'evidence');
      const sidecar = findFile(t.dir, `${id}.state`);
      copyFileSync(sidecar, `${t.dir}/old-state`);
      await setLegalHold(s, ACTOR, id, false, 'released');
      assert.equal((await s.vault.readState(id))?.version, 2);

      // Replay: the older, validly signed copy put back.
      copyFileSync(`${t.dir}/old-state`, sidecar);
      await assert.rejects(s.vault.readState(id), { code: 'CV_ERR_VAULT_STATE_TAMPERED' });
      const r = await rebuildIndex(s, ACTOR);
      assert.deepEqual(r.stateTampered, [id]);
      const rec = await showRecording(s, id);
      assert.equal(rec.legalHold, true);
      assert.equal(rec.restricted, true);
      assert.ok(rec.flags.includes('state_tampered'));

      // A flipped byte in the sealed body.
      const bytes = readFileSync(sidecar);
      const i = bytes.indexOf('"sealed":"') + 20;
      bytes[i] = bytes[i] === 0x41 ? 0x42 : 0x41;
      writeFileSync(sidecar, bytes);
      await assert.rejects(s.vault.readState(id), { code: 'CV_ERR_VAULT_STATE_TAMPERED' });

      // Deleted.
      rmSync(sidecar);
      await assert.rejects(s.vault.readState(id), { code: 'CV_ERR_VAULT_STATE_TAMPERED' });
      await s.close();
      rmSync(join(t.dir, 'index'), { recursive: true, force: true });
      // A lost index is an integrity error at a plain start; `index rebuild` opens it anew.
      await assert.rejects(openStorage({ config, log: silentLogger() }), { code: 'CV_ERR_INDEX_CORRUPT' });
      s = await openStorage({ config, log: silentLogger(), resetIndex: true });
      const again = await showRecording(s, id);
      assert.deepEqual([again.legalHold, again.restricted], [true, true], 'start-up quarantines it too');
    } finally {
      await s.close();
    }
  });
});

export function findFile(root: string, name: string): string {
  for (const e of readdirSync(root, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name === name) return join(e.parentPath, e.name);
  }
  throw new Error(`${name} not found under ${root}`);
}
