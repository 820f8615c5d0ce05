/**
 * callvaultctl under the API's rules (issue 15 item 4): an export states a reason and never
 * releases a restricted recording; the audit names the OS user the kernel saw on the control
 * socket, not one the client claims; stored text cannot forge rows of `audit list`.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { once } from 'node:events';
import { ctl, startDaemon, DEV_CONFIG } from '../helpers/daemon.js';
import { storagePerTest } from '../helpers/workspace.js';
import { makeToneWav } from '../helpers/audio.js';
import { loadConfig } from '../../agent/src/config/index.js';
import { openStorage } from '../../agent/src/storage/index.js';
import { silentLogger } from '../../agent/src/common/index.js';

interface AuditRow {
  seq: number;
  actor: string;
  action: string;
  from: string | null;
  recordingId: string | null;
  reason: string | null;
}

const OS_USER = userInfo().username;
const UID = process.getuid!();
const actorRe = (pid: string): RegExp => new RegExp(`^os:${OS_USER}\\(uid=${UID},pid=${pid}\\)$`);

describe('integration: callvaultctl security (reason, restriction, OS actor, escaping)', function () {
  this.timeout(120_000);
  const ws = storagePerTest('cv-ctlsec-', undefined, (dir) =>
    makeToneWav(join(dir, 'tone.wav'), 2, [440, 880]),
  );
  const toneWav = (): string => join(ws.dir, 'tone.wav');

  async function importOne(): Promise<string> {
    const imp = await ctl(ws.sets, ['import', toneWav(), '--meta', JSON.stringify({ agent: '1001' })]);
    assert.equal(imp.code, 0, imp.stderr);
    return imp.stdout.trim();
  }

  async function audit(): Promise<AuditRow[]> {
    const r = await ctl(ws.sets, ['audit', 'list', '--json']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as AuditRow[];
  }

  /** Restriction has no CLI verb of its own here: set it on the index while no daemon runs. */
  async function restrict(id: string): Promise<void> {
    const storage = await openStorage({
      config: loadConfig({ file: DEV_CONFIG, sets: ws.sets }),
      log: silentLogger(),
    });
    try {
      await storage.index.update(id, { restricted: true });
    } finally {
      await storage.close();
    }
  }

  async function refusedExport(id: string, reason: string | null, code: string): Promise<void> {
    const out = join(ws.dir, `refused-${Date.now()}.wav`);
    const r = await ctl(ws.sets, ['export', id, '-o', out, ...(reason === null ? [] : ['--reason', reason])]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, new RegExp(`\\[${code}\\]`));
    assert.equal(existsSync(out), false, 'no output file');
    assert.deepEqual(
      readdirSync(ws.dir).filter((f) => f.startsWith('refused-')),
      [],
      'no partial file',
    );
  }

  for (const via of ['local', 'daemon'] as const) {
    it(`export without a reason and of a restricted recording is refused (${via})`, async () => {
      const open = await importOne();
      const restricted = await importOne();
      await restrict(restricted);
      if (via === 'daemon') ws.daemon = await startDaemon(ws.sets);

      await refusedExport(open, null, 'CV_ERR_CONTROL_REASON_REQUIRED');
      await refusedExport(open, '    ', 'CV_ERR_CONTROL_REASON_REQUIRED');
      // Five characters that show nothing: no-break and ideographic spaces, zero-width space.
      await refusedExport(open, '\u00a0\u3000\u200b\u200b\u2003', 'CV_ERR_CONTROL_REASON_REQUIRED');
      await refusedExport(restricted, 'DPO request 2026/14', 'CV_ERR_CONTROL_RESTRICTED');

      // A ticket number is a reason.
      const ok = await ctl(ws.sets, [
        'export',
        open,
        '-o',
        join(ws.dir, `ok-${via}.wav`),
        '--reason',
        'INC-1',
      ]);
      assert.equal(ok.code, 0, ok.stderr);

      const exports = (await audit()).filter((e) => e.action === 'export');
      assert.deepEqual(
        exports.map((e) => [e.recordingId, e.reason]),
        [[open, 'INC-1']],
        'only the allowed export is on record',
      );
      console.log(`      ${via}: 4 exports refused, 1 allowed and audited`);
    });
  }

  it('audits the OS user of the socket peer, never the actor a client claims', async () => {
    ws.daemon = await startDaemon(ws.sets);
    const id = await importOne();
    const imp = (await audit()).find((e) => e.action === 'import' && e.recordingId === id);
    assert.ok(imp);
    assert.match(imp.actor, actorRe('\\d+'));
    assert.equal(imp.from, 'control');
    const cliPid = Number(/pid=(\d+)/.exec(imp.actor)![1]);
    assert.notEqual(cliPid, ws.daemon.child.pid, 'the CLI process, not the daemon');
    assert.notEqual(cliPid, process.pid);

    // A hand-written request claiming to be someone else, from somewhere else.
    const socket = connect(
      join(ws.sets.find((s) => s.startsWith('storage.dir='))!.slice(12), 'control.sock'),
    );
    await once(socket, 'connect');
    const frames = [
      {
        t: 'req',
        cmd: 'hold.set',
        args: { id, reason: 'forged actor probe' },
        actor: { name: 'dpo-alice', from: '10.1.2.3' },
      },
      { t: 'end' },
    ];
    socket.write(frames.map((f) => `${JSON.stringify(f)}\n`).join(''));
    let reply = '';
    for await (const c of socket) reply += (c as Buffer).toString();
    assert.match(reply, /"ok":true/, reply);

    const hold = (await audit()).find((e) => e.action === 'hold' && e.reason === 'forged actor probe');
    assert.ok(hold, 'the hold is audited');
    assert.match(hold.actor, actorRe(String(process.pid)), 'the test process is the peer');
    assert.equal(hold.from, 'control');
    const all = JSON.stringify(await audit());
    assert.ok(!all.includes('dpo-alice') && !all.includes('10.1.2.3'), 'the claim is nowhere');
    console.log(`      import by ${imp.actor}; forged hold.set audited as ${hold.actor}`);
  });

  it('audits the CLI process itself when no daemon runs', async () => {
    const id = await importOne();
    const imp = (await audit()).find((e) => e.action === 'import' && e.recordingId === id);
    assert.ok(imp);
    assert.match(imp.actor, actorRe('\\d+'));
    assert.equal(imp.from, 'local');
  });

  it('control characters in a reason cannot forge rows of audit list', async () => {
    ws.daemon = await startDaemon(ws.sets);
    const id = await importOne();
    const forged = `ok\n9999  2026-01-01T00:00:00.000Z  os:root(uid=0,pid=1)  admin  export  ${id}  forged\r\x1b[2K`;
    const set = await ctl(ws.sets, ['hold', 'set', id, '--reason', forged]);
    assert.equal(set.code, 0, set.stderr);
    const rows = await audit();
    assert.ok(
      rows.some((e) => e.reason === forged),
      'stored as given, shown escaped',
    );

    const list = await ctl(ws.sets, ['audit', 'list']);
    assert.equal(list.code, 0, list.stderr);
    const lines = list.stdout.replace(/\n$/, '').split('\n');
    assert.equal(lines.length, rows.length + 1, `one header and one line per entry:\n${list.stdout}`);
    assert.ok(!lines.some((l) => l.startsWith('9999')), 'no forged row');
    // eslint-disable-next-line no-control-regex -- control characters are what this looks for
    assert.doesNotMatch(list.stdout, /[\r\x1b]/);
    assert.ok(list.stdout.includes('ok\\x0a9999'), 'the newline shows as \\x0a');
    console.log(`      ${rows.length} audit entries → ${lines.length} lines (header + entries)`);
  });
});
