/**
 * Files on the appliance (issue 15 item 8): whatever umask the daemon or the CLI is started
 * with, everything under storage.dir is owner-only; a storage.dir or key file belonging to
 * another user is refused before anything is opened; metrics are not exposed by accident.
 */
import assert from 'node:assert/strict';
import {
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ctl,
  isolatedSets,
  run,
  setArgs,
  startDaemon,
  DAEMON_BIN,
  DEV_CONFIG,
  type CliResult,
  type RunningDaemon,
} from '../helpers/daemon.js';
import { makeToneWav } from '../helpers/audio.js';

const NOBODY = 65534;

interface Entry {
  readonly path: string;
  readonly mode: number;
  readonly kind: 'dir' | 'file' | 'other';
}

/** Every path under `dir` (itself included) with its permission bits. */
function modes(dir: string): Entry[] {
  const st = lstatSync(dir);
  const out: Entry[] = [{ path: dir, mode: st.mode & 0o7777, kind: st.isDirectory() ? 'dir' : 'other' }];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...modes(p));
    else {
      const s = lstatSync(p);
      out.push({ path: p, mode: s.mode & 0o7777, kind: s.isFile() ? 'file' : 'other' });
    }
  }
  return out;
}

/** Runs `fn` with the test process's umask at `mask`, so the children it spawns inherit it. */
async function withUmask<T>(mask: number, fn: () => Promise<T>): Promise<T> {
  const old = process.umask(mask);
  try {
    return await fn();
  } finally {
    process.umask(old);
  }
}

describe('integration: storage files and owners', function () {
  this.timeout(120_000);
  let work: string;
  let toneWav: string;
  let daemon: RunningDaemon | undefined;

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'cv-files-'));
    toneWav = join(work, 'tone.wav');
    makeToneWav(toneWav, 2, [440, 880]);
  });
  after(() => rmSync(work, { recursive: true, force: true }));
  afterEach(async () => {
    await daemon?.stop('SIGKILL');
    daemon = undefined;
  });

  it('creates every file 0600 and every directory 0700 under umask 000 (daemon and CLI)', async () => {
    // Not created beforehand: the daemon makes storage.dir itself.
    const storageDir = join(mkdtempSync(join(work, 'umask-')), 'data');
    const sets = await isolatedSets(storageDir);
    daemon = await withUmask(0o000, () => startDaemon(sets));
    const out = join(work, 'export.wav');
    await withUmask(0o000, async () => {
      const imp = await ctl(sets, ['import', toneWav]);
      assert.equal(imp.code, 0, imp.stderr);
      const exp = await ctl(sets, ['export', imp.stdout.trim(), '-o', out, '--reason', 'mode check']);
      assert.equal(exp.code, 0, exp.stderr);
    });
    assert.equal(statSync(out).mode & 0o777, 0o600, 'the exported WAV');
    assert.equal(await daemon.stop('SIGTERM'), 0);
    daemon = undefined;
    // The CLI with no daemon opens (and writes) the storage itself.
    await withUmask(0o000, async () => {
      const imp = await ctl(sets, ['import', toneWav]);
      assert.equal(imp.code, 0, imp.stderr);
    });

    const all = modes(storageDir);
    const loose = all.filter((e) => (e.mode & 0o077) !== 0 || (e.kind === 'file' && (e.mode & 0o100) !== 0));
    assert.deepEqual(
      loose.map((e) => `${e.path.slice(storageDir.length)} ${e.mode.toString(8)}`),
      [],
      'owner-only',
    );
    const files = all.filter((e) => e.kind === 'file').length;
    const dirs = all.filter((e) => e.kind === 'dir').length;
    assert.ok(files >= 10 && dirs >= 5, `walked ${files} files, ${dirs} dirs`);
    console.log(`      umask 000: ${files} files and ${dirs} directories, all owner-only`);
  });

  async function refused(sets: readonly string[], key: string): Promise<void> {
    const d = await run(process.execPath, [DAEMON_BIN, '--config', DEV_CONFIG, ...setArgs(sets)]);
    const c: CliResult = await ctl(sets, ['recordings', 'list']);
    for (const r of [d, c]) {
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /\[CV_ERR_CONFIG_FOREIGN_OWNER\]/);
      assert.ok(r.stderr.includes(`config: ${key}:`), r.stderr);
    }
  }

  it('refuses a storage.dir owned by another non-root user, touching nothing in it', async function () {
    if (process.geteuid?.() !== 0) this.skip();
    const storageDir = mkdtempSync(join(work, 'foreign-'));
    chownSync(storageDir, NOBODY, NOBODY);
    await refused(await isolatedSets(storageDir), 'storage.dir');
    assert.deepEqual(readdirSync(storageDir), [], 'no lock, key or index created');
  });

  it('refuses a master key file owned by another non-root user', async function () {
    if (process.geteuid?.() !== 0) this.skip();
    const storageDir = mkdtempSync(join(work, 'keyowner-'));
    mkdirSync(join(storageDir, 'keys'), { mode: 0o700 });
    const keyFile = join(storageDir, 'keys', 'master.key');
    writeFileSync(keyFile, `1 ${'ab'.repeat(32)}\n`, { mode: 0o600 });
    chownSync(keyFile, NOBODY, NOBODY);
    await refused(await isolatedSets(storageDir), 'keys.master_key_file');
  });

  it('refuses metrics on a non-loopback address without metrics.allow, naming the key', async () => {
    const sets = await isolatedSets(mkdtempSync(join(work, 'metrics-')), ['metrics.listen=0.0.0.0:0']);
    const d = await run(process.execPath, [DAEMON_BIN, '--config', DEV_CONFIG, ...setArgs(sets)]);
    assert.equal(d.code, 1, d.stdout + d.stderr);
    assert.match(d.stderr, /config: metrics\.allow \(--set\): is required when metrics\.listen/);
  });
});
