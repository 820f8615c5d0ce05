import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { Registry, Counter } from 'prom-client';
import { startMetricsServer, type MetricsServer } from '../../../agent/src/metrics/server.js';
import { sourceMatcher } from '../../../agent/src/metrics/allow.js';
import { silentLogger } from '../../../agent/src/common/index.js';
import { untilAsync } from '../../helpers/until.js';

/** GET /metrics on `url` from a chosen local address (127.0.0.0/8 is all ours to pick from). */
function scrape(url: string, localAddress: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { localAddress, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * A scrape made from another thread while this one is blocked for `blockMs`: the client sends
 * its request, says so, and this thread then busy-waits, as the daemon's loop does when it sets
 * up a burst of calls. Returns how long the client waited for the whole answer, and the answer.
 */
async function scrapeWhileBlocked(url: string, blockMs: number): Promise<{ ms: number; body: string }> {
  const client = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const { get } = require('node:http');
     const t0 = performance.now();
     const req = get(workerData, { agent: false }, (res) => {
       let body = '';
       res.on('data', (d) => (body += d));
       res.on('end', () => parentPort.postMessage({ ms: performance.now() - t0, body }));
     });
     req.on('socket', (s) => s.on('connect', () => parentPort.postMessage('sent')));`,
    { eval: true, workerData: url },
  );
  try {
    const [first] = (await once(client, 'message')) as [unknown];
    assert.equal(first, 'sent');
    const answer = once(client, 'message') as Promise<[{ ms: number; body: string }]>;
    const until = performance.now() + blockMs;
    while (performance.now() < until); // the loop is busy: nothing else on this thread runs
    return (await answer)[0];
  } finally {
    await client.terminate();
  }
}

const valueOf = (body: string, name: string): number | undefined => {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(body);
  return m === null ? undefined : Number(m[1]);
};

describe('metrics/server', () => {
  let server: MetricsServer | undefined;
  const registry = new Registry();
  const counter = new Counter({ name: 'callvault_test_total', help: 'test counter', registers: [registry] });
  counter.inc();
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('answers only the sources in metrics.allow (403 for the rest)', async () => {
    server = await startMetricsServer(
      { host: '127.0.0.1', port: 0, allow: ['127.0.0.2/32'] },
      registry,
      silentLogger(),
    );
    const denied = await scrape(server.url, '127.0.0.1');
    assert.equal(denied.status, 403);
    assert.doesNotMatch(denied.body, /callvault_/);
    const ok = await scrape(server.url, '127.0.0.2');
    assert.equal(ok.status, 200);
    assert.match(ok.body, /callvault_test_total 1/);
  });

  it('answers loopback sources only when metrics.allow is empty', async () => {
    server = await startMetricsServer({ host: '127.0.0.1', port: 0 }, registry, silentLogger());
    assert.equal((await scrape(server.url, '127.0.0.1')).status, 200);
    assert.equal((await scrape(server.url, '127.0.0.5')).status, 200);
  });

  it('matches IPv4-mapped peers of a dual-stack listener as IPv4', () => {
    const allowed = sourceMatcher(['192.0.2.0/24', '2001:db8::1']);
    assert.equal(allowed('::ffff:192.0.2.7'), true);
    assert.equal(allowed('192.0.2.7'), true);
    assert.equal(allowed('2001:db8::1'), true);
    assert.equal(allowed('198.51.100.1'), false);
    assert.equal(allowed('127.0.0.1'), false, 'a list replaces loopback, it does not add to it');
    assert.equal(allowed(undefined), false);
    const loopback = sourceMatcher([]);
    assert.equal(loopback('::1'), true);
    assert.equal(loopback('::ffff:127.0.0.1'), true);
    assert.equal(loopback('10.0.0.1'), false);
  });

  it('renders for each scrape: a value counted just before it is in it, and its age is about 0', async () => {
    // fresh_wait_ms 0: the ordering is the point here, not the fallback (a loaded machine may be
    // slower than any wait to wake this thread).
    server = await startMetricsServer(
      { host: '127.0.0.1', port: 0, freshWaitMs: 0 },
      registry,
      silentLogger(),
    );
    const before = valueOf((await scrape(server.url, '127.0.0.1')).body, 'callvault_test_total') ?? NaN;
    counter.inc();
    const after = (await scrape(server.url, '127.0.0.1')).body;
    assert.equal(valueOf(after, 'callvault_test_total'), before + 1);
    assert.ok((valueOf(after, 'callvault_metrics_snapshot_age_seconds') ?? NaN) < 1, after);
  });

  it('answers within its budget while the loop is blocked, with the last render and its age', async () => {
    server = await startMetricsServer(
      { host: '127.0.0.1', port: 0, freshWaitMs: 35 },
      registry,
      silentLogger(),
    );
    const last = valueOf((await scrape(server.url, '127.0.0.1')).body, 'callvault_test_total') ?? NaN;
    counter.inc();
    const blockMs = 1500;
    const { ms, body } = await scrapeWhileBlocked(server.url, blockMs);
    // Answered while the loop was still blocked: the render served is the one from before.
    assert.ok(ms < blockMs / 2, `answered in ${ms.toFixed(0)} ms`);
    // A render from before the block: the first scrape's, or a keep-warm one if the client thread
    // took over a second to start on a loaded machine.
    const served = valueOf(body, 'callvault_test_total');
    assert.ok(served === last || served === last + 1, `served ${served}, last ${last}`);
    assert.ok((valueOf(body, 'callvault_metrics_snapshot_age_seconds') ?? 0) > 0, body);
    // Once the loop is free, scrapes are fresh again.
    const url = server.url;
    await untilAsync(
      async () => valueOf((await scrape(url, '127.0.0.1')).body, 'callvault_test_total') === last + 1,
      'a fresh scrape after the block',
    );
  });

  it('answers the first scrape within its budget too, from the render made at start', async () => {
    server = await startMetricsServer(
      { host: '127.0.0.1', port: 0, freshWaitMs: 35 },
      registry,
      silentLogger(),
    );
    await server.warm;
    const blockMs = 1500;
    const { ms, body } = await scrapeWhileBlocked(server.url, blockMs);
    assert.ok(ms < blockMs / 2, `answered in ${ms.toFixed(0)} ms`);
    assert.ok((valueOf(body, 'callvault_metrics_snapshot_age_seconds') ?? 0) > 0, body);
    assert.match(body, /^callvault_test_total \d+$/m);
  });

  it('waits for a fresh render when metrics.fresh_wait_ms is 0', async () => {
    server = await startMetricsServer(
      { host: '127.0.0.1', port: 0, freshWaitMs: 0 },
      registry,
      silentLogger(),
    );
    await scrape(server.url, '127.0.0.1');
    counter.inc();
    const expected = (await registry.getSingleMetric('callvault_test_total')?.get())?.values[0]?.value;
    const blockMs = 400;
    const { ms, body } = await scrapeWhileBlocked(server.url, blockMs);
    assert.ok(ms >= blockMs * 0.9, `answered in ${ms.toFixed(0)} ms, before the loop was free`);
    assert.equal(valueOf(body, 'callvault_test_total'), expected);
  });

  it('fails to start with the errno name when the port is taken, and closes cleanly', async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const port = (taken.address() as { port: number }).port;
    try {
      await assert.rejects(startMetricsServer({ host: '127.0.0.1', port }, registry, silentLogger()), {
        code: 'EADDRINUSE',
      });
    } finally {
      taken.close();
    }
    server = await startMetricsServer({ host: '127.0.0.1', port: 0 }, registry, silentLogger());
    const url = server.url;
    await server.close();
    server = undefined;
    await assert.rejects(scrape(url, '127.0.0.1'), { code: 'ECONNREFUSED' });
  });
});
