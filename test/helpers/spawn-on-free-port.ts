/**
 * Ports for programs that must be told one on their command line (SIPp's -p/-mp, rtpengine's
 * --listen-ng, a daemon whose `ready` line is not logged): unlike the daemon in tests, they
 * cannot listen on port 0 and report what they bound. A port that was free a moment ago may be
 * taken by another process before the program binds it, so the program's own bind is the test:
 * `spawnOnFreePort` starts it on candidate ports and, when it could not bind one of them,
 * starts it again on fresh ones, a bounded number of times.
 */
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';

/** How many times a program is started before its bind failure is the caller's to report. */
export const BIND_TRIES = 5;

/** What programs print when a port they were told is taken (EADDRINUSE, errno 98 on Linux). */
export const ADDRESS_IN_USE = /EADDRINUSE|Address already in use/;

/**
 * `count` distinct loopback ports the kernel hands out right now. Only candidates: they are
 * closed again before the program binds them, which is why every caller retries on a bind
 * failure. Held together while picked, so one attempt never gets the same port twice.
 */
async function candidatePorts(count: number): Promise<number[]> {
  const socks: Socket[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const s = createSocket('udp4');
      socks.push(s);
      s.bind(0, '127.0.0.1');
      await once(s, 'listening');
    }
    return socks.map((s) => s.address().port);
  } finally {
    await Promise.all(socks.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

/**
 * Runs `start` on `count` candidate ports; while `bindFailed(result)` says the program could
 * not bind one of them, runs it again on fresh candidates, `tries` times at most in all.
 * Resolves with the last result, so a bind failure that outlasted every try is reported by the
 * caller like any other failure of the program.
 */
export async function spawnOnFreePort<R>(
  count: number,
  start: (ports: readonly number[]) => Promise<R>,
  bindFailed: (result: R) => boolean,
  tries = BIND_TRIES,
): Promise<R> {
  let result = await start(await candidatePorts(count));
  for (let t = 1; t < tries && bindFailed(result); t++) result = await start(await candidatePorts(count));
  return result;
}
