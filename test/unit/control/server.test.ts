import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  createControlServer,
  type ControlServer,
  type ControlHandler,
  type ControlServerOptions,
} from '../../../agent/src/control/server.js';
import { callDaemon, tryConnect } from '../../../agent/src/control/client.js';
import { actorName, nativePeerReader } from '../../../agent/src/control/peer.js';
import { CallvaultError, IntegrityError, UserError, silentLogger } from '../../../agent/src/common/index.js';
import { connect } from 'node:net';
import { once } from 'node:events';
import { userInfo } from 'node:os';

/** Sends raw lines (no half-close: the server would end too) and collects the replies until it closes. */
async function rawExchange(path: string, lines: readonly string[]): Promise<unknown[]> {
  const socket = connect(path);
  await once(socket, 'connect');
  socket.write(lines.map((l) => `${l}\n`).join(''));
  let text = '';
  for await (const chunk of socket) text += (chunk as Buffer).toString();
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as unknown);
}

describe('control/server + client', () => {
  let dir: string;
  let server: ControlServer | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cv-ctl-'));
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  /** What the kernel will report for a client in this process. */
  const me = actorName({ user: userInfo().username, uid: process.getuid!(), pid: process.pid });

  async function start(
    handlers: Record<string, ControlHandler>,
    opts: ControlServerOptions = {},
  ): Promise<string> {
    const path = join(dir, 'control.sock');
    server = await createControlServer(path, new Map(Object.entries(handlers)), silentLogger(), opts);
    return path;
  }

  it('is owner-only and round-trips args, an upload and a download', async () => {
    const upload = randomBytes(700_000);
    const path = await start({
      echo: async (req) => {
        await req.download(req.upload!.subarray(0, 300_000));
        await req.download(req.upload!.subarray(300_000));
        return { n: req.args['n'], actor: req.actor.name, from: req.actor.from, bytes: req.upload!.length };
      },
    });
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const socket = await tryConnect(path);
    assert.ok(socket);
    const got: Buffer[] = [];
    const result = await callDaemon(
      socket,
      'echo',
      { n: 7 },
      {
        upload,
        onDownload: (c) => void got.push(c),
      },
    );
    assert.deepEqual(result, { n: 7, actor: me, from: 'control', bytes: upload.length });
    assert.ok(Buffer.concat(got).equals(upload));
  });

  it('rebuilds the error class and code on the client side', async () => {
    const path = await start({
      bad: async () => {
        throw new IntegrityError('CV_ERR_VAULT_TAMPERED', 'segment 3 fails authentication');
      },
    });
    await assert.rejects(callDaemon((await tryConnect(path))!, 'bad', {}), (err: unknown) => {
      assert.ok(err instanceof IntegrityError);
      assert.equal((err as IntegrityError).code, 'CV_ERR_VAULT_TAMPERED');
      return true;
    });
    await assert.rejects(callDaemon((await tryConnect(path))!, 'nope', {}), (err: unknown) => {
      assert.ok(err instanceof UserError);
      assert.equal((err as UserError).code, 'CV_ERR_CONTROL_UNKNOWN_COMMAND');
      return true;
    });
  });

  it('reports no daemon when the socket is missing or stale', async () => {
    assert.equal(await tryConnect(join(dir, 'absent.sock')), null);
    const path = await start({});
    await server!.close();
    server = undefined;
    assert.equal(await tryConnect(path), null);
  });

  it('names the actor from SO_PEERCRED and ignores the actor a client claims', async () => {
    assert.equal(nativePeerReader().unavailable, null, 'native/build/fs-sync.node is built by make');
    const path = await start({ who: async (req) => req.actor });
    const forged = JSON.stringify({
      t: 'req',
      cmd: 'who',
      args: {},
      actor: { name: 'dpo-alice', from: '10.0.0.9' },
    });
    const frames = await rawExchange(path, [forged, '{"t":"end"}']);
    assert.deepEqual(frames, [{ t: 'res', ok: true, result: { name: me, from: 'control' } }]);
    assert.match(me, /^os:[^()]+\(uid=\d+,pid=\d+\)$/);
  });

  it('refuses every command when peers cannot be identified (fail closed)', async () => {
    let ran = false;
    const path = await start(
      {
        who: async () => {
          ran = true;
          return null;
        },
      },
      { peer: null },
    );
    await assert.rejects(callDaemon((await tryConnect(path))!, 'who', {}), (err: unknown) => {
      assert.ok(err instanceof CallvaultError && !(err instanceof UserError));
      assert.equal(err.code, 'CV_ERR_CONTROL_PEER_UNKNOWN');
      return true;
    });
    assert.equal(ran, false);
  });

  it('treats args that are not an object as none', async () => {
    const path = await start({ echo: async (req) => req.args });
    const frames = await rawExchange(path, ['{"t":"req","cmd":"echo","args":[1,2]}', '{"t":"end"}']);
    assert.deepEqual(frames, [{ t: 'res', ok: true, result: {} }]);
  });

  it('tells a user who may not use the socket so, instead of "no daemon"', async function () {
    if (process.geteuid?.() !== 0) this.skip();
    // nobody must be able to read the checkout (a clone under a 0700 mktemp folder is not).
    const readable = othersCanEnter(process.cwd());
    if (!readable) this.skip();
    const path = await start({});
    const child = await import('node:child_process');
    // A client running as nobody: connect() on a 0600 socket owned by root fails with EACCES.
    const code = `import('${join(process.cwd(), 'agent/src/control/client.ts')}').then((m) => m.tryConnect(${JSON.stringify(path)})).then(() => process.exit(0), (e) => { process.stdout.write(e.code); process.exit(1); })`;
    chmodSync(dir, 0o755);
    const r = child.spawnSync(process.execPath, ['--import', 'tsx', '-e', code], {
      uid: 65534,
      gid: 65534,
      encoding: 'utf8',
      timeout: 15_000,
    });
    assert.equal(r.stdout, 'CV_ERR_CONTROL_ACCESS', r.stderr);
  });

  it('close() is idempotent', async () => {
    await start({});
    await server!.close();
    await server!.close();
  });

  it('a call the daemon does not answer fails with CV_ERR_CONTROL_TIMEOUT within its timeout', async () => {
    const path = await start({ hang: () => new Promise<never>(() => undefined) });
    const t0 = Date.now();
    await assert.rejects(
      callDaemon((await tryConnect(path))!, 'hang', {}, { timeoutMs: 300 }),
      (err: unknown) => {
        assert.equal((err as { code?: string }).code, 'CV_ERR_CONTROL_TIMEOUT');
        return true;
      },
    );
    const elapsed = Date.now() - t0;
    assert.ok(elapsed >= 290 && elapsed < 3000, `after ${elapsed} ms`);
  });

  it('a request read after its deadline is refused with CV_ERR_CONTROL_EXPIRED and never run', async () => {
    let ran = false;
    const path = await start({
      act: async () => {
        ran = true;
        return null;
      },
    });
    const socket = (await tryConnect(path))!;
    const frames = [{ t: 'req', cmd: 'act', args: {}, deadlineMs: Date.now() - 1000 }, { t: 'end' }];
    socket.write(frames.map((f) => `${JSON.stringify(f)}\n`).join(''));
    let reply = '';
    for await (const d of socket) reply += (d as Buffer).toString();
    const res = JSON.parse(reply.trim()) as { ok: boolean; error: { code: string } };
    assert.equal(res.ok, false);
    assert.equal(res.error.code, 'CV_ERR_CONTROL_EXPIRED');
    assert.equal(ran, false);
  });
});

/** True when every folder from / to `dir` lets others in (o+x), so uid 65534 can load from it. */
function othersCanEnter(dir: string): boolean {
  for (let d = dir; ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return false;
    if (dirname(d) === d) return true;
  }
}
