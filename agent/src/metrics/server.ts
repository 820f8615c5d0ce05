/**
 * The scrape endpoint: plain HTTP on its own listener (metrics.listen), GET /metrics only, for
 * the sources in metrics.allow (loopback when empty); others get 403 before anything is read.
 */
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { closerFor, listenOn, type Logger } from '../common/index.js';
import { sourceMatcher } from './allow.js';

/** At most one "refused" log line per this many ms: a port scan must not flood the journal. */
const REFUSED_LOG_INTERVAL_MS = 60_000;

export interface MetricsServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(
  listen: { host: string; port: number },
  registry: Registry,
  log: Logger,
  allow: readonly string[] = [],
): Promise<MetricsServer> {
  const allowed = sourceMatcher(allow);
  let refused = 0;
  let lastRefusedLogMs = -Infinity;
  const server: Server = createServer((req, res) => {
    if (!allowed(req.socket.remoteAddress)) {
      refused++;
      const now = Date.now();
      if (now - lastRefusedLogMs >= REFUSED_LOG_INTERVAL_MS) {
        lastRefusedLogMs = now;
        log.warn(
          { refused, from: req.socket.remoteAddress },
          'metrics scrape refused: source not in metrics.allow',
        );
      }
      res.writeHead(403, { 'content-type': 'text/plain' }).end('forbidden: source not in metrics.allow\n');
      return;
    }
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      (err: unknown) => {
        log.error({ err }, 'metrics collection failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('collection failed\n');
      },
    );
  });
  const hostPort = await listenOn(server, listen);
  return { url: `http://${hostPort}/metrics`, close: closerFor(server) };
}
