/**
 * Acceptance: a write that returned survives kill -9. A child process writes users with their
 * audit entries and reports each one only after it returned; it is killed with SIGKILL while
 * writing; after reopening, every reported user is there and the audit chain verifies.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../agent/src/common/index.js';
import { loadConfig } from '../../agent/src/config/index.js';
import { hashPassword } from '../../agent/src/index/index.js';
import { openStorage } from '../../agent/src/storage/index.js';
import { DEV_CONFIG, ROOT } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';

describe('durability: kill -9 after acknowledged writes', function () {
  this.timeout(90_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cv-kill-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('every write the child reported before SIGKILL is there after reopen', async () => {
    const storageDir = join(dir, 'storage');
    const keyFile = join(dir, 'master.key');
    const hash = await hashPassword('a long enough password');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'test', 'helpers', 'durable-writer.ts'), storageDir, keyFile, hash],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = once(child, 'exit');
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    try {
      await until(() => (out.match(/^ack /gm)?.length ?? 0) >= 150, `150 acks (${err})`, 60_000);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    const acked = [...out.matchAll(/^ack (\S+)$/gm)].map((m) => m[1] as string);
    const config = loadConfig({
      file: DEV_CONFIG,
      sets: [`storage.dir=${storageDir}`, `keys.master_key_file=${keyFile}`],
    });
    const storage = await openStorage({ config, log: silentLogger() });
    try {
      const users = new Set((await storage.index.listUsers()).map((u) => u.username));
      for (const u of acked) assert.ok(users.has(u), `acknowledged user ${u} survived kill -9`);
      const v = await storage.index.verifyAudit();
      assert.equal(v.ok, true, JSON.stringify(v));
      console.log(
        `      ${acked.length} acknowledged before SIGKILL, ${users.size} users after reopen, audit ${JSON.stringify(v)}`,
      );
    } finally {
      await storage.close();
    }
  });
});
