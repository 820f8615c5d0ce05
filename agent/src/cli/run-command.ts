/**
 * Runs one storage command either through the daemon's control socket or, when no daemon
 * runs, against storage opened in this process — the same handler either way.
 */
import { join } from 'node:path';
import { assertOwnership, type Config } from '../config/index.js';
import { silentLogger, type Logger } from '../common/index.js';
import { openStorage, type StorageOptions } from '../storage/index.js';
import {
  CONTROL_SOCKET,
  actorName,
  callDaemon,
  selfIdentity,
  storageHandlers,
  tryConnect,
  type ActorInfo,
} from '../control/index.js';

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

/** With no daemon the OS identity is this process's own: nothing to claim, nothing to verify. */
function localActor(): ActorInfo {
  return { name: actorName(selfIdentity()), from: 'local' };
}

export async function runStorageCommand(
  config: Config,
  cmd: string,
  args: Record<string, unknown>,
  opts: RunOptions = {},
): Promise<RunResult> {
  const socket = await tryConnect(join(config.storage.dir, CONTROL_SOCKET));
  if (socket !== null) {
    const result = await callDaemon(socket, cmd, args, opts);
    return { result, via: 'daemon' };
  }
  assertOwnership(config);
  const storage = await openStorage({ config, log: opts.log ?? silentLogger(), ...opts.storage });
  try {
    const handler = storageHandlers(storage).get(cmd);
    if (handler === undefined) throw new Error(`no handler for ${cmd}`);
    const result = await handler({
      args,
      actor: localActor(),
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
