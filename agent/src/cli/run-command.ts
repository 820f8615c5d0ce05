/**
 * Runs one storage command either through the daemon's control socket or, when no daemon
 * runs, against storage opened in this process — the same handler either way.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import { assertOwnership, type Config } from '../config/index.js';
import { createLogger, type Logger } from '../common/index.js';
import { openStorage, type StorageOptions } from '../storage/index.js';
import {
  CONTROL_SOCKET,
  DEFAULT_CALL_TIMEOUT_MS,
  actorName,
  callCommand,
  controlHandlers,
  selfIdentity,
  tryConnect,
  type ActorInfo,
  type ArgsOf,
  type CommandName,
  type ResultOf,
} from '../control/index.js';

/** Commands whose work grows with the data (every recording, a whole file): 30 min by default. */
const LONG_COMMANDS: ReadonlySet<CommandName> = new Set<CommandName>([
  'verify',
  'import',
  'export',
  'index.rebuild',
  'retention.run',
  'consent.withdraw',
  'dsar.export',
]);
const LONG_CALL_TIMEOUT_MS = 30 * 60_000;

export interface RunOptions {
  readonly upload?: Buffer;
  readonly onDownload?: (chunk: Buffer) => Promise<void> | void;
  /** For `index rebuild`: open storage even when the index is unreadable. */
  readonly storage?: Pick<StorageOptions, 'resetIndex'>;
  readonly log?: Logger;
  /** How far a long command is (the daemon sends it when args carry `progress: true`). */
  readonly onProgress?: ((done: number, total: number) => void) | undefined;
  /** How long to wait for the daemon (`--timeout`); default 30 s, 30 min for long commands. */
  readonly timeoutMs?: number | undefined;
}

export interface RunResult<C extends CommandName> {
  readonly result: ResultOf<C>;
  readonly via: 'daemon' | 'local';
}

/** With no daemon the OS identity is this process's own: nothing to claim, nothing to verify. */
function localActor(): ActorInfo {
  return { name: actorName(selfIdentity()), from: 'local' };
}

/**
 * When the CLI opens storage itself, start-up recovery and repair run here, and the technician
 * must see what they did: warnings and errors go to stderr as JSON lines (stdout stays the
 * command's output, so `--json` remains parseable). A quieter configured level wins.
 */
export function localStorageLogger(config: Config): Logger {
  const quiet = ['error', 'fatal', 'silent'].includes(config.log.level);
  return createLogger(quiet ? config.log.level : 'warn', pino.destination({ fd: 2, sync: true }));
}

export async function runStorageCommand<C extends CommandName>(
  config: Config,
  cmd: C,
  args: ArgsOf<C>,
  opts: RunOptions = {},
): Promise<RunResult<C>> {
  const socket = await tryConnect(join(config.storage.dir, CONTROL_SOCKET));
  if (socket !== null) {
    const timeoutMs =
      opts.timeoutMs ?? (LONG_COMMANDS.has(cmd) ? LONG_CALL_TIMEOUT_MS : DEFAULT_CALL_TIMEOUT_MS);
    const result = await callCommand(socket, cmd, args, { ...opts, timeoutMs });
    return { result, via: 'daemon' };
  }
  assertOwnership(config);
  const storage = await openStorage({ config, log: opts.log ?? localStorageLogger(config), ...opts.storage });
  try {
    const handler = controlHandlers(storage)[cmd];
    const result = await handler({
      args,
      actor: localActor(),
      upload: opts.upload ?? null,
      download: async (chunk) => {
        await opts.onDownload?.(chunk);
      },
      progress: 'progress' in args && args.progress === true ? opts.onProgress : undefined,
    });
    return { result, via: 'local' };
  } finally {
    await storage.close();
  }
}
