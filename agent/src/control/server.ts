/**
 * The daemon's control socket: a unix socket under storage.dir, mode 0600, through which
 * callvaultctl works while the daemon holds the storage (LevelDB admits one process).
 *
 * The actor of every command is the peer's OS identity, read from the kernel when the
 * connection is accepted (peer.ts); whatever the client writes about itself is ignored. When the
 * identity cannot be read (addon not built, getsockopt error) the command is refused with
 * CV_ERR_CONTROL_PEER_UNKNOWN: fail closed, because an audit entry under an unverified name is
 * worse than none. Calls, the API and retention keep running; only the control channel stops.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { chmodSync, unlinkSync, existsSync } from 'node:fs';
import { exitCodeFor, type Logger } from '../common/index.js';
import {
  CHUNK_BYTES,
  LineSplitter,
  encodeFrame,
  type ActorInfo,
  type ClientFrame,
  type ServerFrame,
} from './protocol.js';
import {
  ControlExpiredError,
  ControlPeerUnknownError,
  ControlProtocolError,
  UnknownCommandError,
} from './errors.js';
import { actorName, nativePeerReader, type PeerReader } from './peer.js';

export interface ControlRequest {
  readonly args: Record<string, unknown>;
  readonly actor: ActorInfo;
  /** The uploaded bytes, when the client sent any. */
  readonly upload: Buffer | null;
  /** Sends bytes to the client (export); resolves when the socket accepted them. */
  readonly download: (chunk: Buffer) => Promise<void>;
  /** Reports how far a long command is (verify --all, index rebuild); absent: nobody asked. */
  readonly progress?: ((done: number, total: number) => void) | undefined;
}

export type ControlHandler = (req: ControlRequest) => Promise<unknown>;

export interface ControlServerOptions {
  /**
   * How peers are identified; default SO_PEERCRED through native/fs-sync.c. null: no way to
   * identify them (what a daemon without the addon has), so every command is refused.
   */
  readonly peer?: PeerReader | null;
}

export interface ControlServer {
  readonly path: string;
  close(): Promise<void>;
}

function write(socket: Socket, frame: ServerFrame): Promise<void> {
  return new Promise((resolve) => {
    if (socket.write(encodeFrame(frame))) resolve();
    else socket.once('drain', () => resolve());
  });
}

function serve(
  socket: Socket,
  handlers: ReadonlyMap<string, ControlHandler>,
  actor: ActorInfo | ControlPeerUnknownError,
  log: Logger,
): void {
  const splitter = new LineSplitter();
  let request: Extract<ClientFrame, { t: 'req' }> | null = null;
  const upload: Buffer[] = [];
  let started = false;

  const fail = (err: unknown): void => {
    const e = err as { code?: string; message?: string };
    const error = {
      code: e.code ?? 'CV_ERR_INTERNAL',
      message: e.message ?? String(err),
      exit: exitCodeFor(err),
    };
    void write(socket, { t: 'res', ok: false, error }).then(() => socket.end());
  };

  const run = async (req: Extract<ClientFrame, { t: 'req' }>): Promise<void> => {
    if (actor instanceof ControlPeerUnknownError) throw actor;
    const handler = handlers.get(req.cmd);
    if (handler === undefined) throw new UnknownCommandError(req.cmd);
    const result = await handler({
      args: isArgs(req.args) ? req.args : {},
      actor,
      upload: upload.length > 0 ? Buffer.concat(upload) : null,
      download: async (chunk) => {
        for (let off = 0; off < chunk.length; off += CHUNK_BYTES) {
          await write(socket, { t: 'down', d: chunk.subarray(off, off + CHUNK_BYTES).toString('base64') });
        }
      },
      // Only for a client that asked (older clients do not know the frame).
      progress:
        isArgs(req.args) && req.args['progress'] === true
          ? (done, total) => void write(socket, { t: 'progress', done, total })
          : undefined,
    });
    await write(socket, { t: 'res', ok: true, result: result ?? null });
    socket.end();
  };

  socket.on('data', (data) => {
    if (started) return;
    try {
      for (const line of splitter.push(data)) {
        const frame = JSON.parse(line) as ClientFrame;
        if (frame.t === 'req' && request === null) request = frame;
        else if (frame.t === 'up' && request !== null) upload.push(Buffer.from(frame.d, 'base64'));
        else if (frame.t === 'end' && request !== null) {
          started = true;
          const req = request;
          if (typeof req.deadlineMs === 'number' && Date.now() > req.deadlineMs) {
            log.warn(
              { cmd: req.cmd, lateMs: Date.now() - req.deadlineMs },
              'control command expired before it ran',
            );
            fail(new ControlExpiredError(req.cmd));
            return;
          }
          const who = actor instanceof ControlPeerUnknownError ? null : actor.name;
          log.info({ cmd: req.cmd, actor: who }, 'control command');
          run(req).catch(fail);
          return;
        } else throw new ControlProtocolError(`unexpected frame ${String((frame as { t?: unknown }).t)}`);
      }
    } catch (err) {
      started = true;
      fail(err instanceof ControlProtocolError ? err : new ControlProtocolError((err as Error).message));
    }
  });
  socket.on('error', (err) => log.debug({ err }, 'control client socket error'));
}

function isArgs(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export async function createControlServer(
  path: string,
  handlers: ReadonlyMap<string, ControlHandler>,
  log: Logger,
  opts: ControlServerOptions = {},
): Promise<ControlServer> {
  let readPeer: PeerReader | null;
  let unavailable: string;
  if (opts.peer !== undefined) {
    readPeer = opts.peer;
    unavailable = 'no peer reader';
  } else {
    const native = nativePeerReader();
    readPeer = native.read;
    unavailable = native.unavailable ?? '';
  }
  if (readPeer === null) {
    log.error({ why: unavailable }, 'control socket cannot identify peers: every command will be refused');
  }
  // Read at accept, while the descriptor surely is the connection's: the kernel recorded the
  // credentials at connect(), so a client cannot change them afterwards.
  const identify = (socket: Socket): ActorInfo | ControlPeerUnknownError => {
    if (readPeer === null) return new ControlPeerUnknownError(unavailable);
    try {
      return { name: actorName(readPeer(socket)), from: 'control' };
    } catch (err) {
      const e =
        err instanceof ControlPeerUnknownError ? err : new ControlPeerUnknownError('read failed', err);
      log.warn({ err: e }, 'control peer not identified: command refused');
      return e;
    }
  };
  // A socket file left by a killed daemon would make listen() fail with EADDRINUSE; the
  // storage lock already proves no other daemon owns this directory.
  if (existsSync(path)) unlinkSync(path);
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serve(socket, handlers, identify(socket), log);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(path, 0o600);
  let closed = false;
  return {
    path,
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}
