/**
 * The admin API over HTTPS (ARCHITECTURE ✦ Admin API), mounted under /api/v1. This file wires
 * the express app and the listener; routes live beside it.
 */
import { createServer, type Server } from 'node:https';
import express, { type Request, type Response, type NextFunction } from 'express';
import { closerFor, listenOn, type Logger } from '../common/index.js';
import type { Storage } from '../storage/index.js';
import type { CallvaultMetrics } from '../metrics/index.js';
import { verifyPassword } from '../index/index.js';
import { loadOrCreateTls, type TlsMaterial } from './tls.js';
import { SessionStore } from './sessions.js';
import { LoginThrottle } from './login-throttle.js';
import { recordingRoutes } from './routes.js';
import { dpoRoutes } from './dpo-routes.js';
import { sendError, unauthorized } from './http-errors.js';

export interface ApiServer {
  readonly url: string;
  readonly tls: TlsMaterial;
  close(): Promise<void>;
}

export interface ApiOptions {
  readonly listen: { host: string; port: number };
  readonly storage: Storage;
  readonly metrics: CallvaultMetrics;
  readonly log: Logger;
  readonly startedAt: Date;
}

function routeLabel(req: Request): string {
  const r = (req as Request & { route?: { path?: string } }).route;
  return r?.path !== undefined ? `${req.baseUrl}${String(r.path)}` : 'unmatched';
}

export async function startApiServer(opts: ApiOptions): Promise<ApiServer> {
  const { storage, log, metrics } = opts;
  const api = storage.config.api;
  const tls = loadOrCreateTls({
    certFile: api.tls_cert,
    keyFile: api.tls_key,
    storageDir: storage.config.storage.dir,
    hosts: [opts.listen.host],
  });
  if (tls.generated)
    log.warn({ fingerprint256: tls.fingerprint256 }, 'generated a self-signed API certificate');
  const sessions = new SessionStore(api.session_lifetime_s);
  const throttle = new LoginThrottle();

  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '64kb' }));
  app.use((req, res, next) => {
    res.on('finish', () =>
      metrics.apiRequests.inc({ route: routeLabel(req), method: req.method, status: String(res.statusCode) }),
    );
    next();
  });

  const v1 = express.Router();
  v1.get('/health', (_req, res) => {
    res.json({ status: 'ok', uptimeS: Math.round((Date.now() - opts.startedAt.getTime()) / 1000) });
  });
  v1.post('/session', async (req, res) => {
    const body = (req.body ?? {}) as { username?: unknown; password?: unknown };
    if (typeof body.username !== 'string' || typeof body.password !== 'string') {
      res
        .status(400)
        .json({ error: { code: 'CV_ERR_API_BAD_REQUEST', message: 'username and password are required' } });
      return;
    }
    const wait = throttle.retryAfterS(body.username);
    if (wait > 0) {
      res.setHeader('Retry-After', String(wait));
      res
        .status(429)
        .json({
          error: { code: 'CV_ERR_API_TOO_MANY_LOGINS', message: 'too many failed logins; try again later' },
        });
      return;
    }
    const user = await storage.index.getUser(body.username);
    const ok = user !== null && !user.disabled && (await verifyPassword(body.password, user.passwordHash));
    await storage.index.appendAudit({
      actor: body.username,
      role: ok ? user!.role : 'system',
      action: ok ? 'login' : 'login_failed',
      from: req.socket.remoteAddress ?? 'unknown',
    });
    if (!ok) {
      throttle.failed(body.username);
      res
        .status(401)
        .json({ error: { code: 'CV_ERR_API_BAD_CREDENTIALS', message: 'wrong user name or password' } });
      return;
    }
    throttle.succeeded(body.username);
    res.json(sessions.create({ username: user!.username, role: user!.role, agentId: user!.agentId ?? null }));
  });
  // Everything below needs a session.
  v1.use((req, res, next) => {
    const m = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    const user = m === null ? null : sessions.lookup(m[1]!);
    if (user === null) {
      sendError(res, unauthorized());
      return;
    }
    (req as Request & { user: typeof user }).user = user;
    next();
  });
  v1.use(recordingRoutes(storage, metrics));
  v1.use(dpoRoutes(storage));
  app.use('/api/v1', v1);
  app.use((_req, res) => {
    res.status(404).json({ error: { code: 'CV_ERR_API_NOT_FOUND', message: 'no such path' } });
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = err as { status?: number; code?: string };
    if (e.status !== undefined && e.status >= 400 && e.status < 500) {
      res.status(e.status).json({ error: { code: 'CV_ERR_API_BAD_REQUEST', message: 'malformed request' } });
      return;
    }
    log.error({ err }, 'api request failed');
    res.status(500).json({ error: { code: 'CV_ERR_API_INTERNAL', message: 'internal error' } });
  });

  const server: Server = createServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, app);
  const hostPort = await listenOn(server, opts.listen);
  return { url: `https://${hostPort}`, tls, close: closerFor(server) };
}
