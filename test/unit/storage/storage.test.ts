import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../../agent/src/config/index.js';
import {
  TAMPERED_FLAG,
  exportRecording,
  importWav,
  openStorage,
  parseImportMeta,
  rebuildIndex,
  recordFromParts,
  verifyRecordings,
} from '../../../agent/src/storage/index.js';
import { IntegrityError, silentLogger } from '../../../agent/src/common/index.js';
import { makeToneWav } from '../../helpers/audio.js';
import { TAMPERS, records, tamper } from '../../helpers/tamper.js';
import { DEV_CONFIG } from '../../helpers/daemon.js';

const PCM = Buffer.alloc(8000 * 4, 1);

describe('storage/storage', function () {
  this.timeout(30_000);
  let dir: string;
  let config: Config;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cv-storage-'));
    config = loadConfig({ file: DEV_CONFIG, sets: [`storage.dir=${dir}`] });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('re-indexes a vault file that has no index entry, and drops an index entry without a file', async () => {
    const s1 = await openStorage({ config, log: silentLogger() });
    const meta = parseImportMeta(
      JSON.stringify({ number: '+46701111111', agent: '42' }),
      config.policy,
      new Date(),
    );
    const writer = await s1.vault.createRecording({
      format: { encoding: 'pcm16', channels: 2, sampleRate: 8000 },
      metadata: { ...meta },
      startedAt: new Date(),
    });
    writer.append(PCM);
    const finished = await writer.finalize();
    // A second recording is indexed but its container then disappears (deleted by hand).
    const ghostWriter = await s1.vault.createRecording({
      format: { encoding: 'pcm16', channels: 2, sampleRate: 8000 },
      metadata: { ...meta },
      startedAt: new Date(),
    });
    ghostWriter.append(PCM);
    const ghost = await ghostWriter.finalize();
    await s1.index.putRecording(recordFromParts(ghost.id, meta, ghost, ghost.format, config.policy));
    await s1.vault.erase(ghost.id);
    await s1.close();

    const s2 = await openStorage({ config, log: silentLogger() });
    try {
      assert.deepEqual(s2.startup.reindexed, [finished.id]);
      assert.deepEqual(s2.startup.orphansRemoved, [ghost.id]);
      const rec = await s2.index.getRecording(finished.id);
      assert.equal(rec?.number, '+46701111111');
      assert.equal(rec?.agent, '42');
      assert.equal(await s2.index.getRecording(ghost.id), null);
    } finally {
      await s2.close();
    }
  });

  it('finalises writers still open when it closes', async () => {
    const s = await openStorage({ config, log: silentLogger() });
    const writer = await s.vault.createRecording({
      format: { encoding: 'pcm16', channels: 1, sampleRate: 8000 },
      metadata: {},
      startedAt: new Date(),
    });
    s.track(writer);
    writer.append(PCM);
    assert.equal(s.activeWriters, 1);
    await s.close();
    await s.close();
    const again = await openStorage({ config, log: silentLogger() });
    try {
      assert.deepEqual(again.startup.recovered, [], 'nothing left to recover: it was finalised');
      assert.ok((await again.vault.verify(writer.id)).ok);
    } finally {
      await again.close();
    }
  });

  it('refuses use after close with a coded error', async () => {
    const s = await openStorage({ config, log: silentLogger() });
    await s.close();
    assert.throws(
      () => s.index,
      (e: unknown) => (e as { code?: string }).code === 'CV_ERR_STORAGE_CLOSED',
    );
  });

  describe('finished recordings are checked at open, never recovered', () => {
    const actor = { name: 'test', role: 'admin', from: 'local' } as const;

    /** Five imported recordings (four to break, one to swap in), each on legal hold, restricted and linked to a case. */
    async function fiveHeld(): Promise<{ ids: string[]; digests: Map<string, string> }> {
      const wav = join(dir, 'tone.wav');
      makeToneWav(wav, 10, [440, 880]);
      const s = await openStorage({ config, log: silentLogger() });
      const ids: string[] = [];
      const digests = new Map<string, string>();
      try {
        for (let i = 0; i < 5; i++) {
          const r = await importWav(s, actor, readFileSync(wav), undefined);
          await s.index.update(r.id, { legalHold: true, restricted: true, caseId: 'CASE-7' });
          ids.push(r.id);
          digests.set(r.id, r.digest as string);
        }
        return { ids, digests };
      } finally {
        await s.close();
      }
    }

    function containerOf(id: string): string {
      const found = walk(join(dir, 'recordings')).find((f) => f.endsWith(`${id}.wav.enc`));
      assert.ok(found, `container of ${id}`);
      return found;
    }

    it('truncated, cut, appended and swapped containers: flagged, audited, counted; digest and hold stay', async () => {
      const { ids, digests } = await fiveHeld();
      const spare = containerOf(ids[4]!);
      TAMPERS.forEach((kind, i) => tamper(kind, containerOf(ids[i]!), spare));
      const sizes = ids.map((id) => statSync(containerOf(id)).size);

      const s = await openStorage({ config, log: silentLogger() });
      try {
        assert.deepEqual(s.startup.recovered, [], 'nothing finished is "recovered"');
        assert.deepEqual([...s.startup.tampered].sort(), ids.slice(0, 4).sort());
        assert.equal(s.integrityFailures().get('startup'), 4);
        assert.deepEqual(
          ids.map((id) => statSync(containerOf(id)).size),
          sizes,
          'the containers are left exactly as they are',
        );
        for (const id of ids.slice(0, 4)) {
          const r = await s.index.getRecording(id);
          assert.ok(r, 'still indexed');
          assert.equal(r.digest, digests.get(id), 'the signed digest is never replaced');
          assert.equal(r.legalHold, true);
          assert.equal(r.restricted, true);
          assert.equal(r.caseId, 'CASE-7');
          assert.ok(r.flags.includes(TAMPERED_FLAG));
          assert.notEqual(r.state, 'recovered');
        }
        const audit = (await s.index.listAudit()).filter((e) => e.action === 'integrity_failure');
        assert.deepEqual(audit.map((e) => e.recordingId).sort(), ids.slice(0, 4).sort());
        const outcomes = await verifyRecordings(s, actor, 'all');
        const failed = outcomes.filter((o) => !o.ok);
        assert.deepEqual(failed.map((o) => o.id).sort(), ids.slice(0, 4).sort());
        console.log(
          `      verify codes: ${TAMPERS.map((k, i) => `${k}=${outcomes.find((o) => o.id === ids[i])?.code}`).join(' ')}`,
        );
        for (const id of ids.slice(0, 4)) {
          const err = await exportRecording(s, actor, id, 'test', async () => undefined).then(
            () => undefined,
            (e: unknown) => e,
          );
          assert.ok(err instanceof IntegrityError, `export of ${id} fails as an integrity error`);
        }
        assert.equal(s.integrityFailures().get('verify'), 4);
        assert.equal(s.integrityFailures().get('export'), 4);
        const again = (await s.index.listAudit()).filter((e) => e.action === 'integrity_failure');
        assert.equal(again.length, 4, 'one audit entry per recording, when first found');
        assert.deepEqual(
          await rebuildIndex(s, actor),
          { recordings: 5, stateTampered: [], unreadable: [] },
          'index rebuild still works',
        );
        const kept = await s.index.getRecording(ids[0]!);
        assert.equal(kept?.digest, digests.get(ids[0]!));
        assert.ok(kept?.flags.includes(TAMPERED_FLAG), 'rebuild keeps the flagged record as it was');
      } finally {
        await s.close();
      }
      // Found again at the next open; still not recovered, still flagged once.
      const s2 = await openStorage({ config, log: silentLogger() });
      try {
        assert.equal(s2.startup.tampered.length, 4);
        assert.deepEqual(s2.startup.recovered, []);
        assert.equal(s2.integrityFailures().get('startup'), 4);
        assert.equal((await s2.index.getRecording(ids[0]!))?.digest, digests.get(ids[0]!));
      } finally {
        await s2.close();
      }
    });

    it('a finished container removed by hand (key still there) keeps its record and is reported', async () => {
      const { ids, digests } = await fiveHeld();
      rmSync(containerOf(ids[0]!));
      const s = await openStorage({ config, log: silentLogger() });
      try {
        assert.deepEqual(s.startup.orphansRemoved, []);
        assert.deepEqual(s.startup.tampered, [ids[0]]);
        const r = await s.index.getRecording(ids[0]!);
        assert.equal(r?.digest, digests.get(ids[0]!));
        assert.equal(r?.legalHold, true);
        assert.ok(r?.flags.includes(TAMPERED_FLAG));
        const [v] = await verifyRecordings(s, actor, [ids[0]!]);
        assert.equal(v?.code, 'CV_ERR_VAULT_CONTAINER_MISSING');
        const audit = (await s.index.listAudit()).filter((e) => e.action === 'integrity_failure');
        assert.deepEqual(
          audit.map((e) => [e.recordingId, (e.detail as { code: string }).code]),
          [[ids[0], 'CV_ERR_VAULT_CONTAINER_MISSING']],
        );
      } finally {
        await s.close();
      }
    });

    it('a bit flipped inside a segment passes the cheap start-up check; export and verify find it', async () => {
      const { ids, digests } = await fiveHeld();
      const path = containerOf(ids[0]!);
      const file = readFileSync(path);
      const audio = records(file).filter((r) => r[2] === 2);
      const [at] = audio[Math.floor(audio.length / 2)]!;
      file[at + 100] = (file[at + 100] ?? 0) ^ 0x01;
      writeFileSync(path, file);
      const s = await openStorage({ config, log: silentLogger() });
      try {
        assert.deepEqual(s.startup.tampered, [], 'the O(1) check does not decrypt audio (documented bound)');
        const chunks: Buffer[] = [];
        const err = await exportRecording(s, actor, ids[0]!, 'test', async (c) => {
          chunks.push(c);
        }).then(
          () => undefined,
          (e: unknown) => e as { code?: string },
        );
        assert.equal(err?.code, 'CV_ERR_VAULT_TAMPERED');
        const r = await s.index.getRecording(ids[0]!);
        assert.ok(r?.flags.includes(TAMPERED_FLAG));
        assert.equal(r?.digest, digests.get(ids[0]!));
        assert.equal(s.integrityFailures().get('export'), 1);
        const [v] = await verifyRecordings(s, actor, [ids[0]!]);
        assert.equal(v?.code, 'CV_ERR_VAULT_TAMPERED');
      } finally {
        await s.close();
      }
    });

    it('a recording in progress is listed by verify --all, not failed', async () => {
      const s = await openStorage({ config, log: silentLogger() });
      try {
        const w = await s.vault.createRecording({
          format: { encoding: 'pcm16', channels: 2, sampleRate: 8000 },
          metadata: {},
        });
        w.append(PCM);
        const outcomes = await verifyRecordings(s, actor, 'all');
        assert.deepEqual(outcomes, [{ id: w.id, ok: true, inProgress: true }]);
        await w.finalize();
      } finally {
        await s.close();
      }
    });
  });
});

function walk(d: string): string[] {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) => {
    const p = join(d, e.name);
    if (e.isDirectory()) return walk(p);
    return e.isFile() ? [p] : [];
  });
}
