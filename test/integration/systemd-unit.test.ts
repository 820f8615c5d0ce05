/**
 * The shipped systemd unit and the daemon's side of it: the unit's exposure score and syntax
 * (systemd-analyze, offline), and the sd_notify protocol spoken to a real AF_UNIX datagram
 * socket standing in for the service manager: READY=1 only once SIP answers, WATCHDOG=1 at
 * half of WATCHDOG_USEC, pings stop while the process is stopped, STOPPING=1 on SIGTERM.
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNativeAddon } from '../../agent/src/common/index.js';
import {
  DAEMON_BIN,
  DEV_CONFIG,
  ROOT,
  isolatedSets,
  portsFromReady,
  readyLineIn,
  run,
  setArgs,
} from '../helpers/daemon.js';
import { until } from '../helpers/until.js';

const UNIT = join(ROOT, 'systemd', 'callvault.service');

interface Receiver {
  bind(path: string): number;
  receive(fd: number): string | null;
  close(fd: number): void;
}

interface Note {
  readonly atMs: number;
  readonly text: string;
}

describe('systemd unit and readiness', function () {
  this.timeout(60_000);

  it('scores ≤ 2.0 in systemd-analyze security and verifies clean', async () => {
    const sec = await run('systemd-analyze', ['security', '--offline=yes', UNIT]);
    const m = /Overall exposure level for callvault\.service: (\d+\.\d)/.exec(sec.stdout + sec.stderr);
    assert.ok(m, `no exposure figure in:\n${sec.stdout}${sec.stderr}`);
    const exposure = Number(m[1]);
    console.log(`      systemd-analyze security --offline=yes: exposure ${exposure}`);
    assert.ok(exposure <= 2.0, `exposure ${exposure} > 2.0`);
    const verify = await run('systemd-analyze', ['verify', UNIT]);
    assert.equal(verify.code, 0, verify.stderr);
    assert.equal(verify.stderr.trim(), '', `systemd-analyze verify complained:\n${verify.stderr}`);
  });

  describe('sd_notify from the daemon', () => {
    let dir: string;
    let fd = -1;
    let child: ChildProcess | null = null;
    const notes: Note[] = [];
    const { addon } = loadNativeAddon<Receiver>('sd-notify');

    const drain = (): Note[] => {
      for (let t = addon!.receive(fd); t !== null; t = addon!.receive(fd)) notes.push({ atMs: Date.now(), text: t });
      return notes;
    };

    beforeEach(() => {
      assert.ok(addon, 'native/build/sd-notify.node must be built (make native)');
      dir = mkdtempSync(join(tmpdir(), 'cv-sd-'));
      fd = addon.bind(join(dir, 'notify.sock'));
      notes.length = 0;
    });
    afterEach(async () => {
      if (child !== null && child.exitCode === null) {
        child.kill('SIGCONT');
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
      child = null;
      if (fd >= 0) addon!.close(fd);
      fd = -1;
      rmSync(dir, { recursive: true, force: true });
    });

    it('READY=1 once SIP answers, watchdog pings from the loop, none while stopped, STOPPING=1 on SIGTERM', async () => {
      const sets = await isolatedSets(join(dir, 'storage'));
      child = spawn(process.execPath, [DAEMON_BIN, '--config', DEV_CONFIG, ...setArgs(sets)], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NOTIFY_SOCKET: join(dir, 'notify.sock'), WATCHDOG_USEC: '200000' },
      });
      let stderr = '';
      let stdout = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
      await until(() => drain().some((n) => n.text.startsWith('READY=1')), `READY=1 (stderr: ${stderr})`, 30_000);
      const ready = notes.find((n) => n.text.startsWith('READY=1'))!;
      assert.match(ready.text, new RegExp(`\\nMAINPID=${child.pid}$`));
      // The port SIP bound (port 0 in the config), from the ready line logged just before READY=1.
      await until(() => readyLineIn(stdout) !== null, 'the ready line', 5000);
      const sipPort = portsFromReady(readyLineIn(stdout)!).sipUdp!;

      // Ready means recording: an OPTIONS sent right now is answered.
      const sock = createSocket('udp4');
      try {
        const answered = once(sock, 'message');
        sock.send(
          [
            `OPTIONS sip:srs@127.0.0.1:${sipPort} SIP/2.0`,
            'Via: SIP/2.0/UDP 127.0.0.1:5999;rport;branch=z9hG4bK-sd-1',
            'Max-Forwards: 70',
            'From: <sip:probe@127.0.0.1>;tag=1',
            `To: <sip:srs@127.0.0.1:${sipPort}>`,
            'Call-ID: sd-notify-probe',
            'CSeq: 1 OPTIONS',
            'Content-Length: 0',
            '',
            '',
          ].join('\r\n'),
          sipPort,
          '127.0.0.1',
        );
        const [msg] = (await Promise.race([
          answered,
          new Promise((_, reject) => setTimeout(() => reject(new Error('no answer to OPTIONS after READY=1')), 5000)),
        ])) as [Buffer];
        assert.match(msg.toString(), /^SIP\/2\.0 \d{3} /);
      } finally {
        sock.close();
      }

      await until(() => drain().filter((n) => n.text === 'WATCHDOG=1').length >= 5, 'five watchdog pings', 10_000);
      // Stopped for 1 s (ten intervals): no ping may arrive, and pings resume after SIGCONT.
      child.kill('SIGSTOP');
      await new Promise((r) => setTimeout(r, 100));
      const stoppedCount = drain().length;
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(drain().length, stoppedCount, 'watchdog pings while the daemon was stopped');
      child.kill('SIGCONT');
      await until(() => drain().length > stoppedCount + 2, 'pings after SIGCONT', 10_000);

      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      assert.equal(code, 0);
      drain();
      assert.ok(
        notes.some((n) => n.text.startsWith('STOPPING=1')),
        `no STOPPING=1 in ${JSON.stringify(notes.map((n) => n.text))}`,
      );
    });
  });
});
