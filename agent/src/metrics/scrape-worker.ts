/**
 * The /metrics listener, on a worker thread. A scrape answered on the daemon's event loop waits
 * behind whatever the loop is doing: while 1 250 calls are set up it ran 60–120 ms, over the
 * 50 ms budget (issue 18). Here the scrape is accepted and answered off the loop; the loop only
 * renders the registry when asked, and a scrape it cannot render for within metrics.fresh_wait_ms
 * gets the last render instead, with its age in callvault_metrics_snapshot_age_seconds.
 *
 * While someone scrapes, a render is asked for every second, so the render served in place of a
 * fresh one is about a second old at most unless the loop itself has stalled longer.
 */
import { createServer, type ServerResponse } from 'node:http';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { sourceMatcher } from './allow.js';
import type { FromWorker, ScrapeWorkerOptions, ToWorker } from './scrape-protocol.js';

/** While scraped, one render a second keeps the fallback fresh. */
const KEEP_WARM_MS = 1_000;
/** How long after the last scrape the worker keeps asking for renders. */
const KEEP_WARM_FOR_MS = 5 * 60_000;
/** A render older than this is never served in place of a fresh one: the scrape waits. */
const STALE_LIMIT_MS = 10_000;
/** A scrape the loop has not rendered for in this long gets 503 (a watchdog restart is near). */
const RENDER_TIMEOUT_MS = 10_000;

interface Snapshot {
  readonly body: string;
  readonly contentType: string;
  /** Date.now() on the loop when the render began. */
  readonly renderedAt: number;
}

type Outcome = Snapshot | 'failed' | 'timeout' | 'closed';

interface Waiter {
  readonly id: number;
  readonly settle: (o: Outcome) => void;
}

function serve(port: MessagePort, options: ScrapeWorkerOptions): void {
  const allowed = sourceMatcher(options.allow);
  const post = (m: FromWorker): void => port.postMessage(m);

  let nextId = 1;
  let last: Snapshot | null = null;
  let waiters: Waiter[] = [];
  let lastScrapeAt = -Infinity;
  let lastRequestAt = -Infinity;
  let warm: NodeJS.Timeout | null = null;

  function requestRender(): number {
    const id = nextId++;
    lastRequestAt = Date.now();
    post({ type: 'render', id });
    return id;
  }

  /** Settles every waiter whose request the message covers (a render covers all ids up to its own). */
  function settleUpTo(id: number, outcome: Outcome): void {
    const keep: Waiter[] = [];
    for (const w of waiters) {
      if (w.id <= id) w.settle(outcome);
      else keep.push(w);
    }
    waiters = keep;
  }

  function renderFor(id: number): Promise<Outcome> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), RENDER_TIMEOUT_MS);
      waiters.push({
        id,
        settle: (o) => {
          clearTimeout(timer);
          resolve(o);
        },
      });
    });
  }

  function keepWarm(now: number): void {
    lastScrapeAt = now;
    // Only when no render was asked for in the last second: a scraper that comes every second
    // gets no extra renders (each render resets prom-client's event-loop delay histogram).
    warm ??= setInterval(() => {
      if (Date.now() - lastScrapeAt > KEEP_WARM_FOR_MS) {
        clearInterval(warm ?? undefined);
        warm = null;
      } else if (Date.now() - lastRequestAt >= KEEP_WARM_MS) requestRender();
    }, KEEP_WARM_MS / 4);
  }

  /** The render's exposition plus its age, as a gauge family of its own at the end. */
  function send(res: ServerResponse, s: Snapshot): void {
    const age = Math.max(0, Date.now() - s.renderedAt) / 1000;
    const tail =
      '# HELP callvault_metrics_snapshot_age_seconds How old the values of this scrape are: about 0 when rendered for it, more when the event loop was busy and the last render was served.\n' +
      '# TYPE callvault_metrics_snapshot_age_seconds gauge\n' +
      `callvault_metrics_snapshot_age_seconds ${age}\n`;
    res.writeHead(200, { 'content-type': s.contentType }).end(s.body + tail);
  }

  async function scrape(res: ServerResponse): Promise<void> {
    const now = Date.now();
    keepWarm(now);
    const fresh = renderFor(requestRender());
    let outcome: Outcome;
    if (options.freshWaitMs === 0) outcome = await fresh;
    else {
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<'late'>(
        (resolve) => (timer = setTimeout(() => resolve('late'), options.freshWaitMs)),
      );
      const first = await Promise.race([fresh, waited]);
      clearTimeout(timer);
      const fallback = last;
      outcome =
        first !== 'late'
          ? first
          : fallback !== null && now - fallback.renderedAt <= STALE_LIMIT_MS
            ? fallback
            : await fresh;
    }
    if (typeof outcome === 'object') send(res, outcome);
    else if (outcome === 'failed')
      res.writeHead(500, { 'content-type': 'text/plain' }).end('collection failed\n');
    else
      res
        .writeHead(503, { 'content-type': 'text/plain' })
        .end('the daemon did not render its metrics in time\n');
  }

  const server = createServer((req, res) => {
    if (!allowed(req.socket.remoteAddress)) {
      post({ type: 'refused', from: req.socket.remoteAddress });
      res.writeHead(403, { 'content-type': 'text/plain' }).end('forbidden: source not in metrics.allow\n');
      return;
    }
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    void scrape(res);
  });

  port.on('message', (m: ToWorker) => {
    if (m.type === 'snapshot') {
      const s: Snapshot = { body: m.body, contentType: m.contentType, renderedAt: m.renderedAt };
      const first = last === null;
      if (last === null || s.renderedAt >= last.renderedAt) last = s;
      settleUpTo(m.id, s);
      if (first) post({ type: 'warm' });
    } else if (m.type === 'failed') settleUpTo(m.id, 'failed');
    else {
      if (warm !== null) clearInterval(warm);
      settleUpTo(Infinity, 'closed');
      server.close(() => {
        port.close(); // the worker exits, which is what close() on the loop waits for
      });
      server.closeAllConnections();
    }
  });

  server.once('error', (err: NodeJS.ErrnoException) => {
    post({ type: 'listen_failed', code: err.code ?? 'EUNKNOWN', message: err.message });
    port.close();
  });
  server.listen(options.port, options.host, () => {
    const a = server.address() as { address: string; port: number };
    post({ type: 'listening', address: a.address, port: a.port });
    // A render before the first scrape: a scraper that comes while the loop is busy (calls being
    // set up right after start) is answered from it instead of waiting for the loop.
    requestRender();
  });
}

if (parentPort === null) throw new Error('scrape-worker runs as a worker thread');
serve(parentPort, workerData as ScrapeWorkerOptions);
