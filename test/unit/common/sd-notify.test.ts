import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, createSystemdNotifier, loadNativeAddon, watchdogIntervalMs } from '../../../agent/src/common/index.js';
import { until } from '../../helpers/until.js';

interface Receiver {
  bind(path: string): number;
  receive(fd: number): string | null;
  close(fd: number): void;
}

const { addon } = loadNativeAddon<Receiver>('sd-notify');
const log = createLogger('fatal');

/** A fake service manager: a real AF_UNIX datagram socket, drained by polling. */
function manager(path: string): { messages: string[]; drain(): void; close(): void } {
  assert.ok(addon, 'native/build/sd-notify.node must be built (make native)');
  const fd = addon.bind(path);
  const messages: string[] = [];
  return {
    messages,
    drain(): void {
      for (let m = addon.receive(fd); m !== null; m = addon.receive(fd)) messages.push(m);
    },
    close(): void {
      addon.close(fd);
    },
  };
}

describe('common/sd-notify', function () {
  this.timeout(10_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cv-notify-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('watchdog interval is half of WATCHDOG_USEC, and only for the named pid', () => {
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000' }, 42), 15_000);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '42' }, 42), 15_000);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '43' }, 42), null);
    assert.equal(watchdogIntervalMs({}, 42), null);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: 'soon' }, 42), null);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '0' }, 42), null);
  });

  it('outside systemd every call is a no-op', () => {
    const n = createSystemdNotifier(log, {});
    assert.equal(n.active, false);
    n.ready('x');
    n.stopping();
    n.close();
  });

  it('sends READY=1 with a one-line status, then WATCHDOG=1 at half the timeout from the event loop', async () => {
    const path = join(dir, 'notify.sock');
    const m = manager(path);
    const n = createSystemdNotifier(log, { NOTIFY_SOCKET: path, WATCHDOG_USEC: '100000' }, 4242);
    try {
      assert.equal(n.active, true);
      assert.equal(n.watchdogIntervalMs, 50);
      n.ready('recording\nSTOPPING=1');
      await until(() => (m.drain(), m.messages.filter((x) => x === 'WATCHDOG=1').length >= 4), 'four watchdog pings');
      const ready = m.messages[0]!;
      assert.match(ready, /^READY=1\n/);
      assert.match(ready, /\nMAINPID=4242$/);
      // A newline in the status must not smuggle a second state line in.
      assert.equal(ready.split('\n').filter((l) => l.startsWith('STOPPING')).length, 0);
      n.stopping();
      await until(() => (m.drain(), m.messages.some((x) => x.startsWith('STOPPING=1\n'))), 'STOPPING=1');
      n.close();
      m.drain();
      const before = m.messages.length;
      await new Promise((r) => setTimeout(r, 200));
      m.drain();
      assert.equal(m.messages.length, before, 'no pings after close()');
    } finally {
      n.close();
      m.close();
    }
  });

  it('a stalled event loop sends no pings (the watchdog is fed by the loop)', async () => {
    const path = join(dir, 'notify.sock');
    const m = manager(path);
    const n = createSystemdNotifier(log, { NOTIFY_SOCKET: path, WATCHDOG_USEC: '40000' }, 1);
    try {
      n.ready('ok');
      await until(() => (m.drain(), m.messages.length >= 3), 'first pings');
      m.drain();
      const before = m.messages.length;
      const end = Date.now() + 300;
      while (Date.now() < end) {
        // Busy: the loop is stalled for 300 ms, 15 ping intervals.
      }
      m.drain();
      assert.equal(m.messages.length, before, 'pings arrived while the loop was blocked');
    } finally {
      n.close();
      m.close();
    }
  });

  it('abstract socket names (@…) work, and a missing socket is logged, not thrown', async () => {
    const name = `@cv-notify-${process.pid}-${Date.now()}`;
    const m = manager(name);
    try {
      const n = createSystemdNotifier(log, { NOTIFY_SOCKET: name });
      n.status('hello');
      await until(() => (m.drain(), m.messages.includes('STATUS=hello')), 'STATUS over an abstract socket');
    } finally {
      m.close();
    }
    const gone = createSystemdNotifier(log, { NOTIFY_SOCKET: join(dir, 'nobody-listens.sock') });
    assert.doesNotThrow(() => gone.ready('x'));
  });
});
