import { strict as assert } from 'node:assert';
import { createSocket } from 'node:dgram';
import { createRequire } from 'node:module';
import { boundUdpPort, openFds, walkFailures } from './fault-walk.js';

/**
 * The reader's failure paths, walked one by one: native/build/faults/rtp-reader.node is the same
 * code built with fault injection (napi-util.h), so failAfter(n) makes its n-th checked call fail
 * as if Node-API had refused it. Every failure must throw a coded error and release what the call
 * had acquired so far (an fd is the visible part: the epoll set, a bound socket).
 */
interface FaultyReader {
  create(cb: (count: number, used: number, nowMs: number) => void): [unknown, ArrayBuffer];
  open(handle: unknown, id: number, address: string, port: number): number;
  close(handle: unknown, fd: number): void;
  destroy(handle: unknown): void;
  bind(handle: unknown, id: number, ...arrays: unknown[]): void;
  failAfter(n: number): void;
  stateLayout: Record<string, number>;
}

/** Binds 127.0.0.1:port with node:dgram (rejects when it is taken) and lets it go. */
async function bindAndClose(port: number): Promise<void> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, '127.0.0.1', resolve);
  });
  await new Promise<void>((resolve) => s.close(() => resolve()));
}

const require = createRequire(import.meta.url);
const faulty = require('../../../native/build/faults/rtp-reader.node') as FaultyReader;
/** Every failure point of one call (at most 200). */
const walk = <T>(fn: () => T, check: () => void): { codes: string[]; result: T } =>
  walkFailures(faulty, 200, fn, check);

describe('native/rtp-reader (failure paths)', function () {
  it('create() unwinds at every failure point: a coded error and no fd left open', () => {
    const before = openFds();
    const { codes, result } = walk(
      () => faulty.create(() => undefined),
      () => assert.equal(openFds(), before, 'the epoll fd of a failed create() is closed'),
    );
    console.log(`      create(): ${codes.length} failure points, codes ${[...new Set(codes)].join(', ')}`);
    // The argument unpacking, 12 Node-API calls and uv_poll_init.
    assert.ok(codes.length >= 13, `${codes.length} failure points`);
    for (const code of codes) assert.ok(code === 'CV_ERR_MEDIA_NATIVE' || code === 'EINVAL', code);
    assert.equal(codes.at(-1), 'EINVAL', 'uv_poll_init, the last step, reports its errno');
    assert.equal(openFds(), before + 1, 'the reader that was made holds its epoll fd');
    faulty.destroy(result[0]);
    assert.equal(openFds(), before);
  });

  it('open() unwinds at every failure point: the socket is closed and its port free again', async () => {
    const [handle] = faulty.create(() => undefined);
    try {
      const before = openFds();
      // Port 0: each attempt binds a port the kernel picks, so no other test can hold it.
      const { codes, result: fd } = walk(
        () => faulty.open(handle, 1, '127.0.0.1', 0),
        () => assert.equal(openFds(), before, 'a failed open() leaves no socket'),
      );
      console.log(`      open(): ${codes.length} failure points`);
      assert.ok(codes.length >= 5, `${codes.length} failure points`);
      for (const code of codes) assert.equal(code, 'CV_ERR_MEDIA_NATIVE');
      // The failed attempts after bind() closed their sockets (the fd count above); the last
      // attempt's socket is bound, and once closed its port can be bound again.
      assert.ok(fd >= 0);
      const port = boundUdpPort(fd);
      assert.ok(port > 0, `bound to port ${port}`);
      faulty.close(handle, fd);
      await bindAndClose(port);
      assert.equal(openFds(), before);
    } finally {
      faulty.destroy(handle);
    }
  });

  it('bind() that fails half-way throws a coded error and releases what it made; a later bind() succeeds', () => {
    const [handle] = faulty.create(() => undefined);
    try {
      const arrays = (): unknown[] => [
        new Float64Array(faulty.stateLayout.FIELDS!),
        new Float64Array(4 * 8),
        new Uint8Array(8 * 160),
        new Int16Array(320),
      ];
      const { codes } = walk(
        () => faulty.bind(handle, 3, ...arrays()),
        () => undefined,
      );
      console.log(`      bind(): ${codes.length} failure points`);
      // cb_info, the id, and one reference per array (the 4th fails after 3 were made).
      assert.ok(codes.length >= 6, `${codes.length} failure points`);
      for (const code of codes) assert.equal(code, 'CV_ERR_MEDIA_NATIVE');
    } finally {
      faulty.destroy(handle);
    }
  });

  it('refuses a call with missing arguments with a coded TypeError', () => {
    assert.throws(() => (faulty.create as () => unknown)(), { name: 'TypeError', code: 'CV_ERR_MEDIA_NATIVE' });
    assert.throws(() => faulty.create('no function' as never), { name: 'TypeError', code: 'CV_ERR_MEDIA_NATIVE' });
    const [handle] = faulty.create(() => undefined);
    faulty.destroy(handle);
    assert.throws(() => faulty.destroy(handle), { code: 'CV_ERR_MEDIA_CLOSED' });
  });
});
