/**
 * Acceptance: a lost or damaged write-ahead log, in the index or in the keystore, is an
 * integrity failure at start (exit 2, naming the fix) for the CLI and the daemon alike —
 * never a silent repair; recordings on disk with an empty keystore are refused; `index rebuild`
 * accepts a lost index log and records the lost audit entries in the chain.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAEMON_BIN, DEV_CONFIG, ctl, isolatedSets, run, setArgs } from '../helpers/daemon.js';
import { makeToneWav } from '../helpers/audio.js';

/** The newest write-ahead log of a LevelDB directory (the one the last process wrote). */
function newestLog(dir: string): string {
  const logs = readdirSync(dir)
    .filter((f) => /^\d+\.log$/.test(f))
    .sort();
  const last = logs[logs.length - 1];
  assert.ok(last !== undefined && statSync(join(dir, last)).size > 0, `a non-empty log in ${dir}`);
  return join(dir, last);
}

/** Flips one byte inside the first record's payload (not the tail: damage, not a torn write). */
function corrupt(path: string): void {
  const b = readFileSync(path);
  b[12] = (b[12] as number) ^ 0x40;
  writeFileSync(path, b);
}

describe('durability: damaged write-ahead logs and a missing keystore', function () {
  this.timeout(120_000);
  let dir: string;
  let sets: string[];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cv-wal-'));
    sets = await isolatedSets(join(dir, 'storage'), [`keys.master_key_file=${join(dir, 'master.key')}`]);
    for (const name of ['alice', 'bob']) {
      const r = await ctl(sets, ['users', 'add', name, '--role', 'supervisor', '--password-stdin'], {
        stdin: 'a long enough password',
      });
      assert.equal(r.code, 0, r.stderr);
    }
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function assertRefused(code: string, fix: string): Promise<void> {
    const cli = await ctl(sets, ['recordings', 'list']);
    assert.equal(cli.code, 2, `CLI exit 2: ${cli.stderr}`);
    assert.ok(cli.stderr.includes(code), cli.stderr);
    assert.ok(cli.stderr.includes(fix), `the message names the fix: ${cli.stderr}`);
    const daemon = await run(process.execPath, [DAEMON_BIN, '--config', DEV_CONFIG, ...setArgs(sets)], {
      timeoutMs: 30_000,
    });
    assert.equal(daemon.code, 2, `daemon exit 2:\n${daemon.stdout}${daemon.stderr}`);
    assert.ok(`${daemon.stdout}${daemon.stderr}`.includes(code));
  }

  it('index log deleted → exit 2 naming `callvaultctl index rebuild`; the rebuild records the loss', async () => {
    rmSync(newestLog(join(dir, 'storage', 'index')));
    await assertRefused('CV_ERR_INDEX_CORRUPT', 'callvaultctl index rebuild');
    const rebuilt = await ctl(sets, ['index', 'rebuild']);
    assert.equal(rebuilt.code, 0, rebuilt.stderr);
    const verify = await ctl(sets, ['audit', 'verify']);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    const list = await ctl(sets, ['audit', 'list', '--json']);
    const entries = JSON.parse(list.stdout) as { action: string; detail?: { auditEntriesLost?: boolean } }[];
    assert.ok(
      entries.some((e) => e.action === 'index_rebuild' && e.detail?.auditEntriesLost === true),
      'the lost audit entries are recorded in the chain',
    );
    console.log(`      ${verify.stdout.trim()}`);
  });

  it('index log damaged → exit 2 naming `callvaultctl index rebuild`', async () => {
    corrupt(newestLog(join(dir, 'storage', 'index')));
    await assertRefused('CV_ERR_INDEX_CORRUPT', 'callvaultctl index rebuild');
  });

  it('keystore log deleted → exit 2 naming the keystore backup', async () => {
    rmSync(newestLog(join(dir, 'storage', 'keystore')));
    await assertRefused('CV_ERR_VAULT_KEYSTORE_CORRUPT', 'restore storage.dir/keystore from a backup');
  });

  it('keystore log damaged → exit 2 naming the keystore backup', async () => {
    corrupt(newestLog(join(dir, 'storage', 'keystore')));
    await assertRefused('CV_ERR_VAULT_KEYSTORE_CORRUPT', 'restore storage.dir/keystore from a backup');
  });

  it('recordings on disk and the keystore gone → exit 2, no new signing key is made', async () => {
    const wav = join(dir, 'tone.wav');
    makeToneWav(wav, 1, [440, 880]);
    const imp = await ctl(sets, ['import', wav, '--meta', JSON.stringify({ number: '+46701234567' })]);
    assert.equal(imp.code, 0, imp.stderr);
    rmSync(join(dir, 'storage', 'keystore'), { recursive: true });
    await assertRefused('CV_ERR_VAULT_KEYSTORE_MISSING', 'restore storage.dir/keystore from a backup');
    assert.deepEqual(
      readdirSync(join(dir, 'storage')).includes('keystore'),
      false,
      'no keystore was created',
    );
  });
});
