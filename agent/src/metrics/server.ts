/** The scrape endpoint: plain HTTP on its own listener (metrics.listen), GET /metrics only. */
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { closerFor, listenOn, type Logger } from '../common/index.js';

export interface MetricsServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(
  listen: { host: string; port: number },
  registry: Registry,
  log: Logger,
): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
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
