import { strict as assert } from 'node:assert';
import { mkdtempSync, openSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFds, walkFailures } from './fault-walk.js';

/**
 * native/fs-sync.c directly: syncfs and peercred, their errno names (one table, napi-util.h), and
 * every failure point walked in the fault-injection build (native/build/faults/fs-sync.node).
 */
interface FsSync {
  syncfs(path: unknown): Promise<void>;
  peercred(fd: unknown): { pid: number; uid: number; gid: number; user: string | null };
  failAfter?(n: number): void;
}

const require = createRequire(import.meta.url);
const shipped = require('../../../native/build/fs-sync.node') as FsSync;
const faulty = require('../../../native/build/faults/fs-sync.node') as Required<FsSync>;
/** Every failure point of one call (at most 100). */
const walk = <T>(fn: () => T, check: () => void): { codes: string[]; result: T } =>
  walkFailures(faulty, 100, fn, check);

describe('native/fs-sync', function () {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cv-fs-sync-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('syncfs resolves for a directory; a path that is none is refused with its errno name', async () => {
    await shipped.syncfs(dir);
    const file = join(dir, 'f');
    writeFileSync(file, 'x');
    assert.throws(() => shipped.syncfs(file), { code: 'ENOTDIR' });
    assert.throws(() => shipped.syncfs(join(dir, 'missing')), { code: 'ENOENT' });
    // Refused whole, not cut at the buffer and tried as a shorter path.
    assert.throws(() => shipped.syncfs(join(dir, 'a'.repeat(5000))), { code: 'ENAMETOOLONG' });
    assert.throws(() => shipped.syncfs(42), { name: 'TypeError', code: 'CV_ERR_VAULT_NATIVE' });
  });

  it('syncfs unwinds at every failure point: a coded error, the directory fd closed', async () => {
    const before = openFds();
    const { codes, result } = walk(
      () => faulty.syncfs(dir),
      () => assert.equal(openFds(), before, 'the directory fd of a failed syncfs is closed'),
    );
    console.log(`      syncfs(): ${codes.length} failure points`);
    // The arguments, the promise, the resource name, the work, queueing it.
    assert.equal(codes.length, 5);
    for (const code of codes) assert.equal(code, 'CV_ERR_VAULT_NATIVE');
    await result;
    assert.equal(openFds(), before);
  });

  describe('peercred', () => {
    let server: Server | undefined;
    let client: Socket | undefined;
    afterEach(() => {
      client?.destroy();
      server?.close();
    });

    async function connected(): Promise<Socket> {
      const path = join(dir, 'peer.sock');
      const accepted = new Promise<Socket>((resolve) => {
        server = createServer(resolve);
        server.listen(path);
      });
      await new Promise<void>((resolve) => server!.once('listening', resolve));
      client = connect(path);
      return accepted;
    }
    const fdOf = (s: Socket): number => (s as unknown as { _handle: { fd: number } })._handle.fd;

    it('names this process at the other end of a unix socket', async () => {
      const peer = shipped.peercred(fdOf(await connected()));
      assert.equal(peer.pid, process.pid);
      assert.equal(peer.uid, process.getuid!());
      assert.equal(peer.gid, process.getgid!());
    });

    it('refuses what is not a connected socket with its errno name, a bad argument with a coded TypeError', () => {
      const fd = openSync(dir, 'r');
      try {
        assert.throws(() => shipped.peercred(fd), { code: 'ENOTSOCK' });
      } finally {
        closeSync(fd);
      }
      assert.throws(() => shipped.peercred(-1), { name: 'TypeError', code: 'CV_ERR_CONTROL_NATIVE' });
      assert.throws(() => shipped.peercred('3'), { name: 'TypeError', code: 'CV_ERR_CONTROL_NATIVE' });
    });

    it('fails with a coded error at every failure point of building its answer', async () => {
      const fd = fdOf(await connected());
      const { codes, result } = walk(
        () => faulty.peercred(fd),
        () => undefined,
      );
      console.log(`      peercred(): ${codes.length} failure points`);
      assert.ok(codes.length >= 10, `${codes.length} failure points`);
      assert.equal(codes[0], 'CV_ERR_CONTROL_NATIVE');
      for (const code of codes) assert.equal(code, 'CV_ERR_CONTROL_NATIVE');
      assert.equal(result.pid, process.pid);
    });
  });
});
