/**
 * Runs one storage command either through the daemon's control socket or, when no daemon
 * runs, against storage opened in this process — the same handler either way.
 */
import { join } from 'node:path';
import { userInfo } from 'node:os';
import type { Config } from '../config/index.js';
import { silentLogger, type Logger } from '../common/index.js';
import { openStorage, type StorageOptions } from '../storage/index.js';
import { CONTROL_SOCKET, callDaemon, storageHandlers, tryConnect, type ActorInfo } from '../control/index.js';

export interface RunOptions {
  readonly upload?: Buffer;
  readonly onDownload?: (chunk: Buffer) => Promise<void> | void;
  /** For `index rebuild`: open storage even when the index is unreadable. */
  readonly storage?: Pick<StorageOptions, 'resetIndex'>;
  readonly log?: Logger;
}

export interface RunResult {
  readonly result: unknown;
  readonly via: 'daemon' | 'local';
}

function actor(): ActorInfo {
  let name: string;
  try {
    name = userInfo().username;
  } catch {
    name = `uid:${process.getuid?.() ?? '?'}`;
  }
  return { name, from: 'cli' };
}

export async function runStorageCommand(
  config: Config,
  cmd: string,
  args: Record<string, unknown>,
  opts: RunOptions = {},
): Promise<RunResult> {
  const socket = await tryConnect(join(config.storage.dir, CONTROL_SOCKET));
  if (socket !== null) {
    const result = await callDaemon(socket, cmd, args, actor(), opts);
    return { result, via: 'daemon' };
  }
  const storage = await openStorage({ config, log: opts.log ?? silentLogger(), ...opts.storage });
  try {
    const handler = storageHandlers(storage).get(cmd);
    if (handler === undefined) throw new Error(`no handler for ${cmd}`);
    const result = await handler({
      args,
      actor: actor(),
      upload: opts.upload ?? null,
      download: async (chunk) => {
        await opts.onDownload?.(chunk);
      },
    });
    return { result, via: 'local' };
  } finally {
    await storage.close();
  }
}
