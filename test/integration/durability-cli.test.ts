/**
 * Acceptance (CLI): a control-socket call to a stalled daemon times out with a coded error
 * within its timeout, and the abandoned command does not run when the daemon wakes up; when
 * the CLI opens storage itself, the repair lines of its start-up are printed (on stderr).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ctl, isolatedSets, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { makeToneWav } from '../helpers/audio.js';

const PASSWORD = 'a long enough password';

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

describe('durability: CLI timeout and repair lines', function () {
  this.timeout(120_000);
  let dir: string;
  let sets: string[];
  let daemon: RunningDaemon | null = null;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cv-cli-'));
    sets = await isolatedSets(join(dir, 'storage'), [`keys.master_key_file=${join(dir, 'master.key')}`]);
  });
  afterEach(async () => {
    if (daemon !== null) {
      daemon.child.kill('SIGCONT');
      await daemon.stop();
      daemon = null;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('a stalled daemon (SIGSTOP): the CLI fails with CV_ERR_CONTROL_TIMEOUT in time; the command never runs later', async () => {
    daemon = await startDaemon(sets);
    daemon.child.kill('SIGSTOP');
    const t0 = Date.now();
    const r = await ctl(
      sets,
      ['--timeout', '2', 'users', 'add', 'carol', '--role', 'supervisor', '--password-stdin'],
      {
        stdin: PASSWORD,
      },
    );
    const elapsedMs = Date.now() - t0;
    assert.equal(r.code, 3, r.stderr);
    assert.ok(r.stderr.includes('CV_ERR_CONTROL_TIMEOUT'), r.stderr);
    // 2 s of timeout plus the CLI's own start (node + tsx-free dist) on a loaded machine.
    assert.ok(elapsedMs < 12_000, `returned after ${elapsedMs} ms`);
    daemon.child.kill('SIGCONT');
    // The daemon reads the abandoned request on waking: it must refuse it, not add carol.
    const again = await ctl(sets, ['users', 'add', 'carol', '--role', 'supervisor', '--password-stdin'], {
      stdin: PASSWORD,
    });
    assert.equal(again.code, 0, `carol was not added by the abandoned command: ${again.stderr}`);
    assert.match(daemon.logs(), /control command expired before it ran/);
    console.log(`      timed out after ${elapsedMs} ms (timeout 2 s): ${r.stderr.trim().slice(0, 100)}…`);
  });

  it('--timeout applies to restrict and case too (they waited the default 30 s)', async () => {
    daemon = await startDaemon(sets);
    daemon.child.kill('SIGSTOP');
    const id = '00000000-0000-4000-8000-000000000000';
    for (const args of [
      ['restrict', 'set', id, '--reason', 'complaint 42'],
      ['case', 'link', id, 'CASE-1'],
    ]) {
      const t0 = Date.now();
      const r = await ctl(sets, ['--timeout', '2', ...args]);
      const elapsedMs = Date.now() - t0;
      assert.equal(r.code, 3, r.stderr);
      assert.ok(r.stderr.includes('CV_ERR_CONTROL_TIMEOUT'), r.stderr);
      assert.ok(elapsedMs < 12_000, `${args[0]} returned after ${elapsedMs} ms`);
    }
  });

  it('CLI-opened storage prints its start-up repair lines on stderr, stdout stays the output', async () => {
    const wav = join(dir, 'tone.wav');
    makeToneWav(wav, 1, [440, 880]);
    const imp = await ctl(sets, ['import', wav, '--meta', JSON.stringify({ number: '+46701234567' })]);
    assert.equal(imp.code, 0, imp.stderr);
    // The finished container vanishes behind the index's back: the next open reports it (an
    // integrity failure: its key is still there, so it was removed, not erased) and flags it.
    for (const f of walk(join(dir, 'storage', 'recordings'))) rmSync(f);
    const list = await ctl(sets, ['recordings', 'list', '--json']);
    assert.equal(list.code, 0, list.stderr);
    const rows = JSON.parse(list.stdout) as { id: string; flags: string[] }[];
    assert.deepEqual(
      rows.map((r) => r.flags.includes('tampered')),
      [true],
      'stdout is the command output only',
    );
    const lines = list.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; recordingId?: string; msg?: string });
    assert.ok(
      lines.some((l) => l.level >= 40 && l.recordingId === rows[0]!.id && /integrity/.test(l.msg ?? '')),
      `the start-up check is reported: ${list.stderr}`,
    );
  });
});
