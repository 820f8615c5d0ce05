/**
 * The scrape endpoint: plain HTTP on its own listener (metrics.listen), GET /metrics only, for
 * the sources in metrics.allow (loopback when empty); others get 403 before anything is read.
 *
 * The listener runs on a worker thread (scrape-worker.ts) so a scrape is answered within its
 * budget while the loop is busy; the loop renders the registry when the worker asks. Renders
 * asked for while one runs are answered by one more render after it: a render always begins
 * after the requests it answers reached the loop, so a scrape never gets values older than itself
 * unless the worker falls back (metrics.fresh_wait_ms).
 */
import { Worker } from 'node:worker_threads';
import type { Registry } from 'prom-client';
import type { Logger } from '../common/index.js';
import type { FromWorker, ScrapeWorkerOptions, ToWorker } from './scrape-protocol.js';

/** At most one "refused" log line per this many ms: a port scan must not flood the journal. */
const REFUSED_LOG_INTERVAL_MS = 60_000;
/** A worker that does not close in this long is terminated. */
const CLOSE_TIMEOUT_MS = 5_000;
/** Restart delays after the worker dies unexpectedly, doubling up to the last. */
const RESTART_DELAY_MS = 1_000;
const RESTART_DELAY_MAX_MS = 60_000;

export interface MetricsServer {
  readonly url: string;
  /** Resolves once the listener holds its first render (the daemon does not wait for it). */
  readonly warm: Promise<void>;
  close(): Promise<void>;
}

export interface MetricsListen {
  readonly host: string;
  readonly port: number;
  /** metrics.allow; empty: loopback sources only. */
  readonly allow?: readonly string[];
  /** metrics.fresh_wait_ms (0: a scrape always waits for a fresh render). */
  readonly freshWaitMs?: number;
}

/** Error of a listener the worker could not open, with the errno name as code (EADDRINUSE…). */
function listenError(m: { code: string; message: string }): NodeJS.ErrnoException {
  return Object.assign(new Error(m.message), { code: m.code });
}

/**
 * The worker's entry. Built, it is scrape-worker.js next to this file. Under tsx (the tests run
 * the sources) a worker does not get tsx's loader from --import, so a two-line bootstrap
 * registers it in the worker and then loads the TypeScript entry.
 */
/**
 * The worker holds a few renders (tens of KB each) and one small HTTP server: a small heap keeps
 * its share of the daemon's RSS down. Past it the worker dies and is started again (supervise()).
 */
const resourceLimits = { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 24 };

function newScrapeWorker(options: ScrapeWorkerOptions): Worker {
  const name = 'metrics';
  if (!import.meta.url.endsWith('.ts')) {
    return new Worker(new URL('./scrape-worker.js', import.meta.url), {
      workerData: options,
      name,
      resourceLimits,
    });
  }
  const entry = JSON.stringify(new URL('./scrape-worker.ts', import.meta.url).href);
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${entry}); });`;
  return new Worker(bootstrap, { eval: true, workerData: options, name, resourceLimits });
}

export async function startMetricsServer(
  listen: MetricsListen,
  registry: Registry,
  log: Logger,
): Promise<MetricsServer> {
  let refused = 0;
  let lastRefusedLogMs = -Infinity;
  let rendering = false;
  let pending: number | null = null;
  let closing = false;
  let worker: Worker | null = null;
  let becameWarm: () => void = () => undefined;
  const warm = new Promise<void>((resolve) => (becameWarm = resolve));

  const render = (id: number, to: Worker): void => {
    rendering = true;
    const renderedAt = Date.now();
    const reply = (m: ToWorker): void => to.postMessage(m);
    registry
      .metrics()
      .then(
        (body) => reply({ type: 'snapshot', id, body, contentType: registry.contentType, renderedAt }),
        (err: unknown) => {
          log.error({ err }, 'metrics collection failed');
          reply({ type: 'failed', id });
        },
      )
      .finally(() => {
        rendering = false;
        if (pending !== null) {
          const next = pending;
          pending = null;
          render(next, to);
        }
      });
  };

  const onMessage =
    (to: Worker) =>
    (m: FromWorker): void => {
      if (m.type === 'render') {
        if (rendering) pending = Math.max(pending ?? 0, m.id);
        else render(m.id, to);
      } else if (m.type === 'warm') becameWarm();
      else if (m.type === 'refused') {
        refused++;
        const now = Date.now();
        if (now - lastRefusedLogMs >= REFUSED_LOG_INTERVAL_MS) {
          lastRefusedLogMs = now;
          log.warn({ refused, from: m.from }, 'metrics scrape refused: source not in metrics.allow');
        }
      }
    };

  /** Starts a worker on host:port and resolves with the bound address once it listens. */
  const spawn = (port: number): Promise<{ worker: Worker; address: string; port: number }> =>
    new Promise((resolve, reject) => {
      const data: ScrapeWorkerOptions = {
        host: listen.host,
        port,
        allow: listen.allow ?? [],
        freshWaitMs: listen.freshWaitMs ?? 0,
      };
      const w = newScrapeWorker(data);
      w.on('message', onMessage(w));
      const first = (m: FromWorker): void => {
        if (m.type === 'listening') {
          w.off('message', first);
          resolve({ worker: w, address: m.address, port: m.port });
        } else if (m.type === 'listen_failed') {
          w.off('message', first);
          reject(listenError(m));
        }
      };
      w.on('message', first);
      w.once('error', reject);
    });

  const started = await spawn(listen.port);
  const boundPort = started.port;
  const host = started.address.includes(':') ? `[${started.address}]` : started.address;

  // A worker that dies (a bug, not a scrape: those are answered, not thrown) is started again on
  // the same port, so monitoring recovers without restarting the recorder.
  let alive = true;
  let restartDelay = RESTART_DELAY_MS;
  const restart = (): void => {
    setTimeout(() => {
      if (closing) return;
      spawn(boundPort).then(
        (s) => {
          restartDelay = RESTART_DELAY_MS;
          supervise(s.worker);
        },
        (err: unknown) => {
          restartDelay = Math.min(restartDelay * 2, RESTART_DELAY_MAX_MS);
          log.error({ err, restartInMs: restartDelay }, 'metrics listener could not be reopened');
          restart();
        },
      );
    }, restartDelay).unref();
  };
  const supervise = (w: Worker): void => {
    worker = w;
    alive = true;
    w.on('error', (err) => log.error({ err }, 'metrics worker failed'));
    w.once('exit', (code) => {
      alive = false;
      if (closing) return;
      log.error({ code, restartInMs: restartDelay }, 'metrics worker exited; restarting it');
      restart();
    });
  };
  supervise(started.worker);

  let closed: Promise<void> | null = null;
  return {
    url: `http://${host}:${boundPort}/metrics`,
    warm,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        closing = true;
        const w = worker;
        if (w === null || !alive) {
          resolve();
          return;
        }
        const timer = setTimeout(() => void w.terminate(), CLOSE_TIMEOUT_MS);
        w.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        w.postMessage({ type: 'close' } satisfies ToWorker);
      })),
  };
}
