/** callvaultctl's side of the control socket. */
import { connect, type Socket } from 'node:net';
import { CHUNK_BYTES, LineSplitter, encodeFrame, type ServerFrame } from './protocol.js';
import type { ArgsOf, CommandName, ResultOf } from './commands.js';
import {
  ControlAccessError,
  ControlDisconnectedError,
  ControlProtocolError,
  ControlTimeoutError,
  remoteError,
} from './errors.js';

/** How long a command may wait for the daemon's answer unless the caller says otherwise. */
export const DEFAULT_CALL_TIMEOUT_MS = 30_000;

/**
 * Connects when a daemon listens on `path`; null when none does (no socket or a stale one).
 * Rejects with ControlAccessError when the socket is there but owner-only for another user:
 * opening the storage behind the daemon's back would only fail later and less clearly.
 */
export function tryConnect(path: string): Promise<Socket | null> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    socket.once('connect', () => resolve(socket));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EACCES' || err.code === 'EPERM') reject(new ControlAccessError(path, err));
      else resolve(null);
    });
  });
}

export interface CallOptions {
  readonly upload?: Buffer;
  readonly onDownload?: (chunk: Buffer) => Promise<void> | void;
  /** Progress frames of a long command (send `progress: true` in its args to get them). */
  readonly onProgress?: ((done: number, total: number) => void) | undefined;
  /**
   * Time for the whole call, answer included; default DEFAULT_CALL_TIMEOUT_MS. The request
   * carries the deadline, so a daemon that was stalled past it refuses to start the command.
   */
  readonly timeoutMs?: number;
}

export async function callDaemon(
  socket: Socket,
  cmd: string,
  args: Record<string, unknown>,
  opts: CallOptions = {},
): Promise<unknown> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    socket.destroy(new ControlTimeoutError(cmd, timeoutMs));
  }, timeoutMs);
  socket.write(encodeFrame({ t: 'req', cmd, args, deadlineMs: Date.now() + timeoutMs }));
  if (opts.upload !== undefined) {
    for (let off = 0; off < opts.upload.length; off += CHUNK_BYTES) {
      socket.write(
        encodeFrame({ t: 'up', d: opts.upload.subarray(off, off + CHUNK_BYTES).toString('base64') }),
      );
    }
  }
  socket.write(encodeFrame({ t: 'end' }));
  const splitter = new LineSplitter();
  try {
    for await (const data of socket) {
      for (const line of splitter.push(data as Buffer)) {
        const frame = JSON.parse(line) as ServerFrame;
        if (frame.t === 'down') await opts.onDownload?.(Buffer.from(frame.d, 'base64'));
        else if (frame.t === 'progress') opts.onProgress?.(frame.done, frame.total);
        else if (frame.t === 'res') {
          if (frame.ok) return frame.result;
          throw remoteError(frame.error.code, frame.error.message, frame.error.exit);
        } else throw new ControlProtocolError('unexpected frame from daemon');
      }
    }
  } catch (err) {
    if (timedOut) throw new ControlTimeoutError(cmd, timeoutMs);
    throw err;
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
  if (timedOut) throw new ControlTimeoutError(cmd, timeoutMs);
  throw new ControlDisconnectedError();
}

/**
 * callDaemon for one command of ControlCommands. The daemon answers with what the same typed
 * handler table (ControlHandlers) returned, serialised as JSON, so the result is ResultOf<C>:
 * this is the one place where the CLI takes the wire's word for a result's type.
 */
export async function callCommand<C extends CommandName>(
  socket: Socket,
  cmd: C,
  args: ArgsOf<C>,
  opts: CallOptions = {},
): Promise<ResultOf<C>> {
  return (await callDaemon(socket, cmd, args, opts)) as ResultOf<C>;
}
