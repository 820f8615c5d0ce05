import { strict as assert } from 'node:assert';
import { createSocket } from 'node:dgram';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';

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

const require = createRequire(import.meta.url);
const faulty = require('../../../native/build/faults/rtp-reader.node') as FaultyReader;
const openFds = (): number => readdirSync('/proc/self/fd').length;

/** Calls fn with the n-th checked call failing, for n = 0, 1, … until it succeeds; the codes seen. */
function walkFailures<T>(fn: () => T, check: () => void): { codes: string[]; result: T } {
  const codes: string[] = [];
  for (let n = 0; n < 200; n++) {
    faulty.failAfter(n);
    try {
      const result = fn();
      return { codes, result };
    } catch (err) {
      codes.push((err as { code?: string }).code ?? '(none)');
      check();
    } finally {
      faulty.failAfter(-1);
    }
  }
  assert.fail('no run without an injected failure');
}

async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('native/rtp-reader (failure paths)', function () {
  it('create() unwinds at every failure point: a coded error and no fd left open', () => {
    const before = openFds();
    const { codes, result } = walkFailures(
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
      const port = await freePort();
      const before = openFds();
      const { codes, result: fd } = walkFailures(
        () => faulty.open(handle, 1, '127.0.0.1', port),
        () => assert.equal(openFds(), before, 'a failed open() leaves no socket'),
      );
      console.log(`      open(): ${codes.length} failure points`);
      assert.ok(codes.length >= 5, `${codes.length} failure points`);
      for (const code of codes) assert.equal(code, 'CV_ERR_MEDIA_NATIVE');
      // The port was bound by the failed attempts after bind() and released by each: the last
      // attempt bound it again.
      assert.ok(fd >= 0);
      faulty.close(handle, fd);
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
      const { codes } = walkFailures(
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
