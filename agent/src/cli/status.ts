/**
 * `callvaultctl status`: whether the daemon runs, and if so its pid, uptime, version,
 * listeners and active calls. With no daemon the storage command runs in this process, so its
 * pid would be the CLI's own: the answer then says plainly that the daemon is not running.
 */
import type { Config } from '../config/index.js';
import { parseCommand } from './args.js';
import { json as toJson, table, type Printer } from './output.js';
import type { runStorageCommand } from './run-command.js';

function duration(s: number): string {
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return d > 0 ? `${d}d ${h}h ${m}m` : h > 0 ? `${h}h ${m}m` : `${m}m ${s % 60}s`;
}

export async function statusCommand(
  config: Config,
  rest: readonly string[],
  p: Printer,
  call: typeof runStorageCommand,
): Promise<number> {
  const { values } = parseCommand(rest, { json: { type: 'boolean' } });
  const { result, via } = await call(config, 'status', {});
  const r = result;
  const running = via === 'daemon';
  if (values['json'] === true) {
    // No pid, uptime or version of a daemon that does not run.
    p.out(
      toJson(running ? { running, via, ...r } : { running, via, storage: r.storage, activeRecordings: 0 }),
    );
    return 0;
  }
  if (!running) {
    p.out(
      table([
        ['daemon:', 'NOT RUNNING (no control socket under the storage directory)'],
        ['storage:', r.storage],
        ['hint:', 'systemctl status callvault; journalctl -u callvault'],
      ]),
    );
    return 0;
  }
  const rows = [
    ['daemon:', 'running'],
    ['pid:', String(r.pid)],
    ['uptime:', r.uptimeS === undefined ? '-' : duration(r.uptimeS)],
    ['version:', r.version ?? '-'],
    ...Object.entries(r.listeners ?? {}).map(([name, at], i) => [
      i === 0 ? 'listeners:' : '',
      `${name} ${at}`,
    ]),
    ['active calls:', String(r.activeRecordings)],
    ['storage:', r.storage],
  ];
  p.out(table(rows));
  return 0;
}
