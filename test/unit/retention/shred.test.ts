import assert from 'node:assert/strict';
import { cpSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '../../../agent/src/common/index.js';
import { importWav, openStorage, type Actor, type Storage } from '../../../agent/src/storage/index.js';
import {
  eraseRecording,
  linkCase,
  runRetention,
  setCaseState,
  setLegalHold,
  setRestriction,
  withdrawConsent,
} from '../../../agent/src/retention/index.js';
import { useStorageDir } from '../../helpers/temp-storage.js';
import { scanForPersonalData, wavOf, type ScanReport } from '../../helpers/shred-scan.js';

const ACTOR: Actor = { name: 'cli:test', role: 'dpo', from: 'local' };
const DAY_MS = 86_400_000;
const NUMBER = '+46701110021';
const NAME = 'Petronella Testsson';
const NEEDLES = [NUMBER, NUMBER.slice(1), NUMBER.slice(4), NAME, 'Petronella'];
const WAV = wavOf(Buffer.alloc(16000, 7));

describe('retention: erasure and anonymisation leave nothing the master key can decrypt', function () {
  this.timeout(60_000);
  const t = useStorageDir('cv-shred-');
  // What the dir held as each erasure returned (copied beside it).
  let copy: string;
  beforeEach(() => {
    copy = `${t.dir}-copy`;
  });
  afterEach(() => rmSync(copy, { recursive: true, force: true }));

  /** Imports the target and a bystander, and rewrites the target's index record a few times. */
  async function prepare(s: Storage, touch: (id: string) => Promise<void>): Promise<string> {
    const meta = { number: NUMBER, agent: '4711', agentName: NAME, service: 'billing' };
    const id = (await importWav(s, ACTOR, WAV, JSON.stringify(meta))).id;
    await importWav(s, ACTOR, WAV, JSON.stringify({ number: '+46701119999', agent: '4712' }));
    await touch(id);
    const keyFile = s.config.keys.master_key_file;
    const control = scanForPersonalData(t.dir, keyFile, id, NEEDLES);
    // The scanner works: before erasure it recovers the data key and reads the fields.
    assert.ok(control.dataKeys > 0 && control.hits.length > 0, JSON.stringify(control));
    return id;
  }

  function assertClean(s: Storage, id: string, what: string): ScanReport {
    const keyFile = s.config.keys.master_key_file;
    const live = scanForPersonalData(t.dir, keyFile, id, NEEDLES);
    const copied = scanForPersonalData(copy, keyFile, id, NEEDLES);
    assert.deepEqual(live.hits, [], `${what}: storage.dir`);
    assert.deepEqual(copied.hits, [], `${what}: copy taken as the call returned`);
    assert.equal(live.dataKeys + copied.dataKeys, 0, `${what}: data key recovered`);
    // The keystore entry itself has left the write-ahead log and the tables. (MANIFEST and the
    // info LOG name table key ranges — a recording id, never a value — so they are not data files.)
    const entry = Buffer.from(`rk!${id}`);
    const left = [t.dir, copy].flatMap((root) =>
      readdirSync(join(root, 'keystore'), { withFileTypes: true })
        .filter((e) => e.isFile() && /\.(log|ldb|sst)$/.test(e.name))
        .filter((e) => readFileSync(join(root, 'keystore', e.name)).includes(entry))
        .map((e) => join(root, 'keystore', e.name)),
    );
    assert.deepEqual(left, [], `${what}: keystore files still naming the data key`);
    process.stdout.write(
      `      ${what}: ${live.files} files, ${live.tokens} base64 runs tried, ${live.decrypted} decrypted, 0 hits (copy: ${copied.files} files, 0 hits)\n`,
    );
    return live;
  }

  it('retention delete (after a restart: older values in LevelDB tables, not only in the log)', async () => {
    const config = t.configFor(['policy.name=hrm']);
    let s = await openStorage({ config, log: silentLogger() });
    try {
      const id = await prepare(s, async (i) => {
        await setLegalHold(s, ACTOR, i, true, 'x');
        await setLegalHold(s, ACTOR, i, false, 'x');
      });
      await s.close();
      s = await openStorage({ config, log: silentLogger() });
      await setLegalHold(s, ACTOR, id, true, 'x');
      await setLegalHold(s, ACTOR, id, false, 'x');
      const r = await runRetention(s, ACTOR, { at: new Date(Date.now() + 400 * DAY_MS), force: true });
      assert.ok(r.deleted.includes(id));
      cpSync(t.dir, copy, { recursive: true });
      assertClean(s, id, 'retention delete');
    } finally {
      await s.close();
    }
  });

  it('consent withdrawal', async () => {
    const s = await openStorage({ config: t.configFor(['policy.name=retta']), log: silentLogger() });
    try {
      const id = await prepare(s, async (i) => {
        await setRestriction(s, ACTOR, i, true, 'x');
        await setRestriction(s, ACTOR, i, false, 'x');
      });
      const r = await withdrawConsent(s, ACTOR, '+46 70 111 00 21', 'caller asked');
      assert.deepEqual(r.erased, [id]);
      cpSync(t.dir, copy, { recursive: true });
      assertClean(s, id, 'consent withdrawal');
    } finally {
      await s.close();
    }
  });

  it('erasure of one recording by the DPO (after state sidecar writes and a restart)', async () => {
    const config = t.configFor(['policy.name=retta']);
    let s = await openStorage({ config, log: silentLogger() });
    try {
      const id = await prepare(s, async (i) => {
        await linkCase(s, ACTOR, i, 'RT-9');
        await setRestriction(s, ACTOR, i, true, 'accuracy disputed');
        await setRestriction(s, ACTOR, i, false, 'settled');
      });
      await s.close();
      s = await openStorage({ config, log: silentLogger() });
      await eraseRecording(s, ACTOR, id, 'data subject asked, ticket 77');
      assert.equal(await s.index.getRecording(id), null);
      cpSync(t.dir, copy, { recursive: true });
      assertClean(s, id, 'DPO erasure');
    } finally {
      await s.close();
    }
  });

  it('anonymisation (the case record stays, readable, without personal fields)', async () => {
    const s = await openStorage({ config: t.configFor(['policy.name=upplands-bro']), log: silentLogger() });
    try {
      const closed = new Date(Date.now() + DAY_MS);
      const id = await prepare(s, async (i) => {
        await linkCase(s, ACTOR, i, 'UB-7');
        await setCaseState(s, ACTOR, 'UB-7', closed);
      });
      const r = await runRetention(s, ACTOR, { at: new Date(closed.getTime() + 31 * DAY_MS), force: true });
      assert.ok(r.anonymised.includes(id));
      cpSync(t.dir, copy, { recursive: true });
      const live = assertClean(s, id, 'anonymisation');
      assert.ok(live.decrypted > 0, 'the remainder (case id) is still readable');
      const rec = await s.index.getRecording(id);
      assert.deepEqual([rec?.number, rec?.agentName, rec?.caseId], [null, null, 'UB-7']);
    } finally {
      await s.close();
    }
  });
});
