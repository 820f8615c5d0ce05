/**
 * `callvaultctl backup` / `restore`: refused while the daemon runs; with it stopped the
 * keystore, master key, index and config go into one tar (no recordings); after the keystore,
 * the key and the index are wiped, a restore makes the recording readable and the audit chain
 * verify again.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ctl, isolatedSets, startDaemon } from '../helpers/daemon.js';
import { dirPerTest } from '../helpers/workspace.js';
import { rtpRangeSet } from '../kit/index.js';

describe('integration: callvaultctl backup / restore', function () {
  this.timeout(120_000);
  const ws = dirPerTest('cv-backup-');

  it('backs up keys, index and config, and restores them after a wipe: the recording reads, the audit chain verifies', async () => {
    const storage = join(ws.dir, 'storage');
    const sets = [...(await isolatedSets(storage)), rtpRangeSet()];
    ws.daemon = await startDaemon(sets);
    const call = await ctl(sets, ['test-call', '--seconds', '2']);
    assert.equal(call.code, 0, call.stdout + call.stderr);
    const id = /recorded as (\S+),/.exec(call.stdout)?.[1];
    assert.ok(id);
    const file = join(ws.dir, 'appliance.tar');

    const busy = await ctl(sets, ['backup', '-o', file]);
    assert.equal(busy.code, 1, busy.stdout + busy.stderr);
    assert.match(busy.stderr, /CV_ERR_STORAGE_LOCKED/);
    assert.equal(existsSync(file), false);
    assert.equal(await ws.daemon.stop(), 0);
    ws.daemon = undefined;

    const b = await ctl(sets, ['backup', '-o', file]);
    assert.equal(b.code, 0, b.stdout + b.stderr);
    const members = execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).split('\n');
    for (const m of ['manifest.json', 'master.key', 'config.yaml', 'keystore/', 'index/'])
      assert.ok(members.includes(m), `${m} in ${members.join(' ')}`);
    assert.equal(
      members.filter((m) => m.startsWith('recordings')).length,
      0,
      'recordings stay where they are',
    );
    const again = await ctl(sets, ['backup', '-o', file]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /CV_ERR_CLI_BACKUP_EXISTS/);

    // The disaster: keystore, master key and index gone; the recordings remain.
    const key = join(storage, 'keys', 'master.key');
    const keyBefore = readFileSync(key, 'utf8');
    rmSync(join(storage, 'keystore'), { recursive: true });
    rmSync(join(storage, 'index'), { recursive: true });
    rmSync(key);

    const r = await ctl(sets, ['restore', file]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /restored .*keystore/);
    assert.match(r.stdout, /restored .*index/);
    assert.equal(readFileSync(key, 'utf8'), keyBefore);
    const v = await ctl(sets, ['verify', id]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    const audit = await ctl(sets, ['audit', 'verify']);
    assert.equal(audit.code, 0, audit.stdout + audit.stderr);
    const out = join(ws.dir, 'after.wav');
    const ex = await ctl(sets, ['export', id, '-o', out, '--reason', 'restore check']);
    assert.equal(ex.code, 0, ex.stdout + ex.stderr);
    assert.equal(readFileSync(out).subarray(0, 4).toString(), 'RIFF');

    // A second restore moves the restored parts aside instead of deleting them.
    const twice = await ctl(sets, ['restore', file]);
    assert.equal(twice.code, 0, twice.stdout + twice.stderr);
    assert.match(twice.stdout, /moved aside .*index\.before-restore-/);
  });

  it('refuses a file that is not a callvault backup (exit 1)', async () => {
    const sets = await isolatedSets(join(ws.dir, 'storage'));
    const junk = join(ws.dir, 'junk.tar');
    writeFileSync(junk, 'not a tar');
    const r = await ctl(sets, ['restore', junk]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /CV_ERR_CLI_BACKUP_INVALID/);
  });
});
