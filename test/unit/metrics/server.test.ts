import assert from 'node:assert/strict';
import { request } from 'node:http';
import { Registry, Counter } from 'prom-client';
import { startMetricsServer, type MetricsServer } from '../../../agent/src/metrics/server.js';
import { sourceMatcher } from '../../../agent/src/metrics/allow.js';
import { silentLogger } from '../../../agent/src/common/index.js';

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

describe('metrics/server', () => {
  let server: MetricsServer | undefined;
  const registry = new Registry();
  new Counter({ name: 'callvault_test_total', help: 'test counter', registers: [registry] }).inc();
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('answers only the sources in metrics.allow (403 for the rest)', async () => {
    server = await startMetricsServer({ host: '127.0.0.1', port: 0 }, registry, silentLogger(), [
      '127.0.0.2/32',
    ]);
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
});
