/**
 * The daemon's control socket: a unix socket under storage.dir, mode 0600, through which
 * callvaultctl works while the daemon holds the storage (LevelDB admits one process).
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
import { ControlExpiredError, ControlProtocolError, UnknownCommandError } from './errors.js';

export interface ControlRequest {
  readonly args: Record<string, unknown>;
  readonly actor: ActorInfo;
  /** The uploaded bytes, when the client sent any. */
  readonly upload: Buffer | null;
  /** Sends bytes to the client (export); resolves when the socket accepted them. */
  readonly download: (chunk: Buffer) => Promise<void>;
}

export type ControlHandler = (req: ControlRequest) => Promise<unknown>;

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

function serve(socket: Socket, handlers: ReadonlyMap<string, ControlHandler>, log: Logger): void {
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
    const handler = handlers.get(req.cmd);
    if (handler === undefined) throw new UnknownCommandError(req.cmd);
    const result = await handler({
      args: req.args,
      actor: req.actor,
      upload: upload.length > 0 ? Buffer.concat(upload) : null,
      download: async (chunk) => {
        for (let off = 0; off < chunk.length; off += CHUNK_BYTES) {
          await write(socket, { t: 'down', d: chunk.subarray(off, off + CHUNK_BYTES).toString('base64') });
        }
      },
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
          log.info({ cmd: req.cmd, actor: req.actor.name }, 'control command');
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

export async function createControlServer(
  path: string,
  handlers: ReadonlyMap<string, ControlHandler>,
  log: Logger,
): Promise<ControlServer> {
  // A socket file left by a killed daemon would make listen() fail with EADDRINUSE; the
  // storage lock already proves no other daemon owns this directory.
  if (existsSync(path)) unlinkSync(path);
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serve(socket, handlers, log);
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
