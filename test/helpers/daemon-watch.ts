/**
 * What a probe learns about a daemon from outside: its /metrics series and its resident memory,
 * and `withDaemon`, which runs a probe's body against a daemon it starts and always stops.
 */
import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { startDaemon, type RunningDaemon } from './daemon.js';

/** Resident set size of a process in KiB, from /proc/PID/status (0 when it is gone). */
export function rssKiB(pid: number | undefined): number {
  try {
    const m = /^VmRSS:\s+([0-9]+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return Number(m?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** GET http://127.0.0.1:PORT/metrics → { 'name{labels}': value } for the callvault_ series. */
export function scrape(port: number): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path: '/metrics', timeout: 5000 }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => {
        const out: Record<string, number> = {};
        for (const line of text.split('\n')) {
          const m = /^(callvault_[^ ]+) ([-+0-9.eE]+|NaN)$/.exec(line);
          if (m?.[1] !== undefined) out[m[1]] = Number(m[2]);
        }
        resolve(out);
      });
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('metrics timeout')));
  });
}

/** Starts the daemon, runs `fn`, stops it with `stopSignal`; its exit code and logs join the result. */
export async function withDaemon<T>(
  sets: readonly string[],
  stopSignal: NodeJS.Signals,
  fn: (d: RunningDaemon) => Promise<T>,
): Promise<T & { exitCode: number; logs: string }> {
  const d = await startDaemon([...sets]);
  try {
    const out = await fn(d);
    return { ...out, exitCode: await d.stop(stopSignal), logs: d.logs() };
  } finally {
    await d.stop('SIGKILL');
  }
}
