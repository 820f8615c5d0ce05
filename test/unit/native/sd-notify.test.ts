import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * native/sd-notify.c directly: errno names and argument refusals, and the receiving end's failure
 * points walked in the fault-injection build (native/build/faults/sd-notify.node). The notifier
 * built on it is test/unit/common/sd-notify.test.ts.
 */
interface SdNotify {
  notify(path: unknown, state: unknown): void;
  bind(path: unknown): number;
  receive(fd: unknown): string | null;
  close(fd: unknown): void;
  failAfter?(n: number): void;
}

const require = createRequire(import.meta.url);
const shipped = require('../../../native/build/sd-notify.node') as SdNotify;
const faulty = require('../../../native/build/faults/sd-notify.node') as Required<SdNotify>;
const openFds = (): number => readdirSync('/proc/self/fd').length;

describe('native/sd-notify', function () {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cv-sd-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('delivers a state to a bound socket; failures carry the errno name', () => {
    const path = join(dir, 'notify');
    const fd = shipped.bind(path);
    try {
      assert.equal(shipped.receive(fd), null);
      shipped.notify(path, 'READY=1');
      assert.equal(shipped.receive(fd), 'READY=1');
      assert.throws(() => shipped.bind(path), { code: 'EADDRINUSE' });
    } finally {
      shipped.close(fd);
    }
    assert.throws(() => shipped.notify(path, 'READY=1'), { code: 'ECONNREFUSED' });
    assert.throws(() => shipped.notify(join(dir, 'missing'), 'READY=1'), { code: 'ENOENT' });
    assert.throws(() => shipped.notify(`/${'a'.repeat(200)}`, 'x'), {
      name: 'TypeError',
      code: 'CV_ERR_NOTIFY_ARGS',
    });
    assert.throws(() => shipped.notify(path, 'x'.repeat(5000)), { name: 'TypeError', code: 'CV_ERR_NOTIFY_ARGS' });
    assert.throws(() => shipped.receive(-1), { name: 'TypeError', code: 'CV_ERR_NOTIFY_ARGS' });
  });

  it('bind() unwinds at every failure point: a coded error, the socket closed and its path removed', () => {
    const before = openFds();
    const codes: string[] = [];
    let fd = -1;
    for (let n = 0; n < 20 && fd < 0; n++) {
      faulty.failAfter(n);
      try {
        fd = faulty.bind(join(dir, 'receiver')); // the same path: a failed bind() removes it
      } catch (err) {
        codes.push((err as { code?: string }).code ?? '(none)');
        assert.equal(openFds(), before, 'a failed bind() leaves no socket');
      } finally {
        faulty.failAfter(-1);
      }
    }
    console.log(`      bind(): ${codes.length} failure points, codes ${codes.join(', ')}`);
    // The arguments, then the fd's number once the socket is bound.
    assert.deepEqual(codes, ['CV_ERR_NOTIFY_ARGS', 'CV_ERR_NOTIFY_NATIVE']);
    assert.ok(fd >= 0);
    faulty.close(fd);
    assert.equal(openFds(), before);
  });
});
