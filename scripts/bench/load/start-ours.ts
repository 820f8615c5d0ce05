/**
 * Starts our daemon for one load point, pinned, on ports of its own. The bench runs it at
 * log.level=warn (the per-call info lines would count in the CPU it measures), so the `ready`
 * line that reports the ports of port-0 listeners is never printed: the daemon is told
 * candidate ports instead and, when it exits because another process took one first
 * (EADDRINUSE), is started again on fresh ones (spawnOnFreePort). It is ready when it holds its
 * API listener itself: a connection could be answered by whoever took the port.
 */
import { join } from 'node:path';
import { ADDRESS_IN_USE, BIND_TRIES, spawnOnFreePort } from '../../../test/helpers/spawn-on-free-port.js';
import { LoadBenchError, BENCH_CHILD_FAILED } from './errors.js';
import { runToEnd, startPinned, stopPinned, waitForListener, type Pinned } from './procs.js';

/** The ports the daemon was started on (SIP over UDP and TCP share one). */
export interface OurPorts {
  readonly sip: number;
  readonly api: number;
  readonly metrics: number;
}

export interface OurDaemon {
  readonly proc: Pinned;
  readonly ports: OurPorts;
  /** The --set list it runs with: readers of its storage use the same. */
  readonly sets: string[];
}

export interface StartOurs {
  readonly root: string;
  readonly core: number | null;
  readonly nodeArgs: readonly string[];
  readonly config: string;
  /** The --set list for these ports. */
  readonly sets: (ports: OurPorts) => string[];
  /** Called with each process as soon as it runs, so the caller's finally can stop it. */
  readonly started: (p: Pinned | null) => void;
}

/** Starts the daemon and resolves once it listens on its API port (bounded). */
export async function startOurs(o: StartOurs): Promise<OurDaemon> {
  const up = await spawnOnFreePort(
    3,
    async ([sip, api, metrics]): Promise<OurDaemon | null> => {
      const ports = { sip: sip!, api: api!, metrics: metrics! };
      const sets = o.sets(ports);
      const p = startPinned(
        o.core,
        process.execPath,
        [
          ...o.nodeArgs,
          join(o.root, 'bin', 'callvault.js'),
          '--config',
          o.config,
          ...sets.flatMap((s) => ['--set', s]),
        ],
        { cwd: o.root },
      );
      o.started(p);
      try {
        await waitForListener(p.pid, ports.api, 30_000, () => p.child.exitCode === null);
        return { proc: p, ports, sets };
      } catch (err) {
        await stopPinned(p, 'SIGKILL', 5000);
        o.started(null);
        if (ADDRESS_IN_USE.test((await runToEnd(p, 1000)).output)) return null;
        throw err;
      }
    },
    (r) => r === null,
  );
  if (up === null)
    throw new LoadBenchError(BENCH_CHILD_FAILED, `the daemon found a port taken ${BIND_TRIES} times`);
  return up;
}
