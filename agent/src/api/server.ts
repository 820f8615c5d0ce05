/**
 * The admin API over HTTPS (ARCHITECTURE ✦ Admin API), mounted under /api/v1. This file wires
 * the express app and the listener; routes live beside it.
 */
import { createServer, type Server } from 'node:https';
import express, { type Request, type Response, type NextFunction } from 'express';
import { closerFor, listenOn, type Logger } from '../common/index.js';
import { checkTotp, type User } from '../index/index.js';
import type { Storage } from '../storage/index.js';
import { loadOrCreateTls, TLS_SERVER_OPTIONS, type TlsMaterial } from './tls.js';
import { accountFingerprint, SessionStore, type SessionUser } from './sessions.js';
import { LoginThrottle } from './login-throttle.js';
import { LoginFailureAudit } from './login-audit.js';
import { attemptLogin, makeDummyHash } from './login.js';
import { recordingRoutes } from './routes.js';
import { statsRoutes } from './stats.js';
import { userRoutes } from './user-routes.js';
import { guard, handle } from './handle.js';
import { securityHeaders } from './security-headers.js';
import { unauthorized } from './http-errors.js';
import { dpoRoutes } from './dpo-routes.js';
import { subjectRoutes } from './subjects.js';
import { grantRoutes } from './grant-routes.js';
import { trainingRoutes } from './training-routes.js';
import {
  checkCsrf,
  clearSessionCookie,
  credentialsOf,
  setSessionCookie,
  wantsCookie,
} from './cookie-session.js';
import { consoleFiles } from './console-static.js';
import { liveRoutes, type LiveCallSource } from './live-routes.js';

export interface ApiServer {
  readonly url: string;
  /** The certificate being served (replaced by reloadTls). */
  readonly tls: TlsMaterial;
  readonly throttle: LoginThrottle;
  /**
   * Re-reads the certificate and key (SIGHUP: a renewed certificate without dropping anything):
   * new TLS handshakes use them, open connections keep theirs. Throws, serving the old pair,
   * when the files do not load.
   */
  reloadTls(files: { certFile: string | null; keyFile: string | null }): TlsMaterial;
  close(): Promise<void>;
}

/** The request counter the API feeds (`callvault_api_requests_total`). */
export interface ApiMetrics {
  readonly apiRequests: { inc(labels: { route: string; method: string; status: string }): void };
}

export interface ApiOptions {
  readonly listen: { host: string; port: number };
  readonly storage: Storage;
  /** What the API counts: main.ts passes metrics/'s counter (api/ does not import metrics/). */
  readonly metrics: ApiMetrics;
  readonly log: Logger;
  readonly startedAt: Date;
  /** Calls in progress, for GET /calls and live listening; null when no SIP ingest runs. */
  readonly live?: LiveCallSource | null;
}

function routeLabel(req: Request): string {
  const r = (req as Request & { route?: { path?: string } }).route;
  return r?.path !== undefined ? `${req.baseUrl}${String(r.path)}` : 'unmatched';
}

export async function startApiServer(opts: ApiOptions): Promise<ApiServer> {
  const { storage, log, metrics } = opts;
  const api = storage.config.api;
  let tls = loadOrCreateTls({
    certFile: api.tls_cert,
    keyFile: api.tls_key,
    storageDir: storage.config.storage.dir,
    hosts: [opts.listen.host],
  });
  if (tls.generated)
    log.warn({ fingerprint256: tls.fingerprint256 }, 'generated a self-signed API certificate');
  const sessions = new SessionStore(api.session_lifetime_s);
  const throttle = new LoginThrottle({
    perUser: api.login_max_failures,
    perSource: api.login_max_failures_per_source,
  });
  const failures = new LoginFailureAudit({
    append: (e) => storage.index.appendAudit(e),
    log,
    intervalMs: api.login_audit_interval_s * 1000,
  });
  const loginDeps = {
    findUser: (name: string) => storage.index.getUser(name),
    append: (e: Parameters<typeof storage.index.appendAudit>[0]) => storage.index.appendAudit(e),
    throttle,
    failures,
    dummyHash: await makeDummyHash(),
    secondFactor: (user: User, otp: unknown) => checkTotp(storage.index, user, otp, Date.now()),
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(securityHeaders);
  app.use((req, res, next) => {
    res.on('finish', () =>
      metrics.apiRequests.inc({ route: routeLabel(req), method: req.method, status: String(res.statusCode) }),
    );
    next();
  });
  app.use(express.json({ limit: '64kb' }));

  const v1 = express.Router();
  v1.get('/health', (_req, res) => {
    res.json({ status: 'ok', uptimeS: Math.round((Date.now() - opts.startedAt.getTime()) / 1000) });
  });
  v1.post(
    '/session',
    handle(async (req, res) => {
      const from = req.socket.remoteAddress ?? 'unknown';
      const user = await attemptLogin(loginDeps, req.body, from);
      const created = sessions.create(user, from);
      if (!wantsCookie(req.body)) {
        res.json(created);
        return;
      }
      // The console's login: the token goes only into the HttpOnly cookie, never to the page.
      setSessionCookie(res, created.token, api.session_lifetime_s);
      res.json({ expiresAt: created.expiresAt, csrf: sessions.csrfFor(created.token) });
    }),
  );
  // Everything below needs a live session of an account that is still as it was at login.
  v1.use(
    guard(async (req) => {
      const creds = credentialsOf(req);
      const session = creds === null ? null : sessions.lookup(creds.token);
      if (creds === null || session === null) throw unauthorized();
      const account = await storage.index.getUser(session.user.username);
      if (account === null || account.disabled || accountFingerprint(account) !== session.account) {
        sessions.revokeUser(session.user.username);
        throw unauthorized();
      }
      checkCsrf(req, creds, sessions.csrfFor(creds.token));
      (req as Request & { user: SessionUser; token: string }).user = session.user;
      (req as Request & { user: SessionUser; token: string }).token = creds.token;
    }),
  );
  // Who is logged in, for the console: its CSRF token and the appliance's time zone.
  v1.get('/session', (req, res) => {
    const r = req as Request & { user: SessionUser; token: string };
    res.json({
      username: r.user.username,
      role: r.user.role,
      agentId: r.user.agentId,
      expiresAt: new Date(sessions.lookup(r.token)?.expiresAtMs ?? Date.now()).toISOString(),
      csrf: sessions.csrfFor(r.token),
      timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      defaultCountry: storage.config.sip.default_country,
    });
  });
  v1.delete(
    '/session',
    handle(async (req, res) => {
      const r = req as Request & { user: SessionUser; token: string };
      sessions.revoke(r.token);
      clearSessionCookie(res);
      await storage.index.appendAudit({
        actor: r.user.username,
        role: r.user.role,
        action: 'logout',
        from: req.ip ?? null,
      });
      res.status(204).end();
    }),
  );
  v1.use(recordingRoutes(storage, log));
  v1.use(statsRoutes(storage));
  v1.use(userRoutes(storage, sessions));
  v1.use(dpoRoutes(storage));
  v1.use(subjectRoutes(storage));
  v1.use(grantRoutes(storage));
  v1.use(trainingRoutes(storage));
  v1.use(liveRoutes(storage, opts.live ?? null, (t) => sessions.lookup(t) !== null, log));
  app.use('/api/v1', v1);
  // The web console: static files of the appliance, outside /api/v1 (README "Web console").
  app.use(consoleFiles());
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

  const server: Server = createServer({ cert: tls.cert, key: tls.key, ...TLS_SERVER_OPTIONS }, app);
  const hostPort = await listenOn(server, opts.listen);
  const closeServer = closerFor(server);
  return {
    url: `https://${hostPort}`,
    get tls(): TlsMaterial {
      return tls;
    },
    throttle,
    reloadTls(files): TlsMaterial {
      const next = loadOrCreateTls({
        ...files,
        storageDir: storage.config.storage.dir,
        hosts: [opts.listen.host],
      });
      // setSecureContext validates the pair: a key that does not match its certificate throws
      // here, and the running context stays.
      server.setSecureContext({ cert: next.cert, key: next.key, ...TLS_SERVER_OPTIONS });
      tls = next;
      return next;
    },
    close: async () => {
      await closeServer();
      // The failed logins of the last interval are written before the index closes.
      await failures.close();
    },
  };
}
