/**
 * Acceptance: nothing acknowledged is lost when the index's disk fills up. The storage lives on
 * a real, small tmpfs mounted by the test (root only; skipped with the reason otherwise). Writes
 * (users with their audit entry, legal hold set/release, plain audit entries) run until the disk
 * refuses them; then space is freed and more writes follow; then storage is closed and reopened:
 * every write that returned is there, no failed one is, and the audit chain verifies.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, rmdirSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../agent/src/common/index.js';
import { loadConfig, type Config } from '../../agent/src/config/index.js';
import { hashPassword } from '../../agent/src/index/index.js';
import { setLegalHold } from '../../agent/src/retention/index.js';
import {
  openStorage,
  parseImportMeta,
  recordFromParts,
  type Storage,
} from '../../agent/src/storage/index.js';
import { KeyStore } from '../../agent/src/vault/keys.js';
import { DEV_CONFIG } from '../helpers/daemon.js';

const ACTOR = { name: 'cli:test', role: 'admin' as const, from: 'cli' };
const MAX_WRITES = 20_000;

/** Mounts a tmpfs of `size` at a new directory; null (with the reason) when not permitted. */
function mountTmpfs(size: string): { dir: string } | { reason: string } {
  if (process.getuid?.() !== 0) return { reason: 'mounting a tmpfs needs root' };
  const dir = mkdtempSync(join(tmpdir(), 'cv-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
    return { dir };
  } catch (err) {
    rmdirSync(dir);
    return { reason: `mount -t tmpfs failed: ${(err as { stderr?: Buffer }).stderr?.toString().trim()}` };
  }
}

async function addRecording(storage: Storage, config: Config): Promise<string> {
  const meta = parseImportMeta(
    JSON.stringify({ number: '+46701234567', agent: '42' }),
    config.policy,
    new Date(),
  );
  const w = await storage.vault.createRecording({
    format: { encoding: 'pcm16', channels: 2, sampleRate: 8000 },
    metadata: { ...meta },
    startedAt: new Date(),
  });
  w.append(Buffer.alloc(8000 * 4, 1));
  const fin = await w.finalize();
  await storage.index.putRecording(recordFromParts(fin.id, meta, fin, fin.format, config.policy));
  return fin.id;
}

describe('durability: disk full on the index (real tmpfs)', function () {
  this.timeout(180_000);
  let mnt: string | null = null;

  before(function () {
    const m = mountTmpfs('16m');
    if ('reason' in m) {
      console.log(`      skipped: ${m.reason}`);
      this.skip();
    }
    mnt = m.dir;
  });
  after(() => {
    if (mnt === null) return;
    // Lazy: a storage left open by a failed test must not keep the mount (and the test) hanging.
    execFileSync('umount', ['-l', mnt]);
    rmdirSync(mnt);
  });

  it('every write that returned survives a restart, no failed one is visible, the audit chain verifies', async () => {
    const dir = join(mnt as string, 'storage');
    const config = loadConfig({
      file: DEV_CONFIG,
      sets: [`storage.dir=${dir}`, `keys.master_key_file=${join(mnt as string, 'master.key')}`],
    });
    const passwordHash = await hashPassword('correct horse battery');
    let storage = await openStorage({ config, log: silentLogger() });
    const recId = await addRecording(storage, config);

    const users = { ok: [] as string[], failed: [] as string[] };
    let audits = 0;
    let hold = false;
    let failures = 0;
    /** One write of each kind in turn; returns false when it failed. */
    const writeOne = async (i: number, tag: string): Promise<boolean> => {
      try {
        if (i % 3 === 0) {
          const username = `${tag}${i}`;
          try {
            await storage.index.putUser(
              {
                username,
                role: 'supervisor',
                agentId: null,
                passwordHash,
                createdAt: new Date().toISOString(),
                disabled: false,
              },
              { actor: ACTOR.name, role: 'admin', action: 'user_add', from: 'cli', detail: { username } },
            );
            users.ok.push(username);
          } catch (err) {
            users.failed.push(username);
            throw err;
          }
        } else if (i % 3 === 1) {
          await setLegalHold(storage, ACTOR, recId, !hold, `case ${i}`);
          hold = !hold;
        } else {
          await storage.index.appendAudit({
            actor: ACTOR.name,
            role: 'admin',
            action: 'verify',
            reason: `r${i}`,
          });
        }
        audits++;
        return true;
      } catch (err) {
        assert.ok(typeof (err as { code?: unknown }).code === 'string', 'a failed write has a coded error');
        failures++;
        return false;
      }
    };

    // Fill the disk to ~200 KiB short of full, then write until the index refuses 6 writes.
    const free = statfsSync(mnt as string);
    writeFileSync(
      join(mnt as string, 'filler'),
      Buffer.alloc(Math.max(0, free.bavail * free.bsize - 200 * 1024)),
    );
    let i = 0;
    for (; i < MAX_WRITES && failures < 6; i++) await writeOne(i, 'a');
    assert.equal(failures, 6, `the disk filled up within ${MAX_WRITES} writes`);
    const beforeFree = audits;

    // Space comes back: every later write must work and be durable.
    rmSync(join(mnt as string, 'filler'));
    for (let j = 0; j < 60; j++) assert.ok(await writeOne(i + j, 'b'), `write ${j} after freeing space`);
    await storage.close();

    storage = await openStorage({ config, log: silentLogger() });
    try {
      for (const u of users.ok) assert.notEqual(await storage.index.getUser(u), null, `user ${u} survived`);
      for (const u of users.failed)
        assert.equal(await storage.index.getUser(u), null, `failed user ${u} absent`);
      assert.equal((await storage.index.getRecording(recId))?.legalHold, hold, 'the last hold that returned');
      const entries = await storage.index.listAudit({ limit: 10_000 });
      assert.equal(entries.length, audits, 'one audit entry per write that returned, none for failed ones');
      const v = await storage.index.verifyAudit();
      assert.deepEqual(v.ok, true, JSON.stringify(v));
      console.log(
        `      writes ok before freeing: ${beforeFree}, failed: ${failures}, after: ${audits - beforeFree}; ` +
          `users ${users.ok.length} kept / ${users.failed.length} failed; audit ${entries.length} entries`,
      );
    } finally {
      await storage.close();
    }
  });

  it('keystore: every data key whose creation returned survives a reopen, no failed one exists', async () => {
    const path = join(mnt as string, 'keystore-only');
    const src = { masterKeyFile: join(mnt as string, 'ks-master.key'), credentialName: 'none' };
    let ks = await KeyStore.open(path, src);
    const ok: string[] = [];
    const failed: string[] = [];
    const create = async (id: string): Promise<boolean> => {
      try {
        await ks.createDataKey(id, Date.now());
        ok.push(id);
        return true;
      } catch (err) {
        assert.ok(err instanceof Error);
        failed.push(id);
        return false;
      }
    };
    const free = statfsSync(mnt as string);
    writeFileSync(
      join(mnt as string, 'filler'),
      Buffer.alloc(Math.max(0, free.bavail * free.bsize - 100 * 1024)),
    );
    for (let i = 0; i < MAX_WRITES && failed.length < 6; i++) await create(`a${i}`);
    assert.equal(failed.length, 6, 'the disk filled up');
    rmSync(join(mnt as string, 'filler'));
    for (let j = 0; j < 60; j++) assert.ok(await create(`b${j}`), `data key ${j} after freeing space`);
    await ks.close();
    ks = await KeyStore.open(path, src);
    try {
      for (const id of ok) assert.notEqual(await ks.dataKey(id), undefined, `data key ${id} survived`);
      for (const id of failed) assert.equal(await ks.hasDataKey(id), false, `failed data key ${id} absent`);
      console.log(`      data keys: ${ok.length} created (60 after freeing space), ${failed.length} failed`);
    } finally {
      await ks.close();
    }
  });
});
