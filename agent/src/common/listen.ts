/**
 * Binding an http(s) server and closing it once: shared by the admin API and the metrics
 * listener so both report their URL the same way and close idempotently.
 */
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';

type AnyServer = HttpServer | HttpsServer;

/** Resolves with the bound `host:port` (IPv6 in brackets) once the server listens. */
export async function listenOn(server: AnyServer, listen: { host: string; port: number }): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as { address: string; port: number };
  return `${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`;
}

/** An idempotent close that also drops kept-alive connections. */
export function closerFor(server: AnyServer): () => Promise<void> {
  let closing: Promise<void> | null = null;
  return () =>
    (closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }));
}
