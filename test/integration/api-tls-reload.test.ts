/**
 * SIGHUP reloads the API and SIP TLS certificates: a renewed certificate is served to new connections
 * without a restart; a broken one is refused and the one in use stays.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { ANY_PORT, isolatedSets, startDaemon } from '../helpers/daemon.js';
import { dirPerTest } from '../helpers/workspace.js';
import { until } from '../helpers/until.js';

/** A self-signed P-256 certificate and key (openssl, 0600 key as the daemon expects). */
function makeCert(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

/** The SHA-256 fingerprint of the certificate the server presents to a new connection. */
function servedFingerprint(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port, rejectUnauthorized: false }, () => {
      const fp = s.getPeerCertificate().fingerprint256;
      s.end();
      resolve(fp);
    });
    s.once('error', reject);
    s.setTimeout(5000, () => s.destroy(new Error('TLS handshake timed out')));
  });
}

function fingerprintOf(certFile: string): string {
  const out = execFileSync('openssl', [
    'x509',
    '-in',
    certFile,
    '-noout',
    '-fingerprint',
    '-sha256',
  ]).toString();
  return out.trim().split('=')[1]!;
}

describe('integration: SIGHUP reloads the API and SIP certificates', function () {
  this.timeout(60_000);
  const ws = dirPerTest('cv-tlsreload-', 'SIGTERM');

  it('serves a renewed certificate after SIGHUP; a broken one is refused and the old one stays', async () => {
    const a = makeCert(ws.dir, 'first');
    const b = makeCert(ws.dir, 'renewed');
    const live = { cert: join(ws.dir, 'api.crt'), key: join(ws.dir, 'api.key') };
    copyFileSync(a.cert, live.cert);
    copyFileSync(a.key, live.key);
    const sets = await isolatedSets(join(ws.dir, 'storage'), [
      `api.tls_cert=${live.cert}`,
      `api.tls_key=${live.key}`,
    ]);
    ws.daemon = await startDaemon(sets);
    const [host, port] = ['127.0.0.1', ws.daemon.ports.api!];
    assert.equal(await servedFingerprint(host!, Number(port)), fingerprintOf(a.cert));

    copyFileSync(b.cert, live.cert);
    copyFileSync(b.key, live.key);
    ws.daemon.child.kill('SIGHUP');
    await until(() => /API certificate reloaded/.test(ws.daemon!.logs()), 'the reload log line', 10_000);
    assert.equal(
      await servedFingerprint(host!, Number(port)),
      fingerprintOf(b.cert),
      'renewed certificate served',
    );

    // A key that does not belong to the certificate: refused, the renewed pair stays in use.
    copyFileSync(a.key, live.key);
    ws.daemon.child.kill('SIGHUP');
    await until(() => /API certificate reload failed/.test(ws.daemon!.logs()), 'the refusal', 10_000);
    assert.equal(
      await servedFingerprint(host!, Number(port)),
      fingerprintOf(b.cert),
      'still the renewed one',
    );
    writeFileSync(live.key, 'not a key');
    assert.equal(ws.daemon.child.exitCode, null, 'the daemon keeps running');
  });
  it('SIP over TLS: a renewed certificate is served to new connections after SIGHUP', async () => {
    const a = makeCert(ws.dir, 'sip-first');
    const b = makeCert(ws.dir, 'sip-renewed');
    const live = { cert: join(ws.dir, 'sip.crt'), key: join(ws.dir, 'sip.key') };
    copyFileSync(a.cert, live.cert);
    copyFileSync(a.key, live.key);
    const base = await isolatedSets(join(ws.dir, 'storage'));
    const sets = [...base, `sip.tls=${ANY_PORT}`, `sip.tls_cert=${live.cert}`, `sip.tls_key=${live.key}`];
    ws.daemon = await startDaemon(sets);
    const tlsPort = ws.daemon.ports.sipTls!;
    assert.equal(await servedFingerprint('127.0.0.1', tlsPort), fingerprintOf(a.cert));
    copyFileSync(b.cert, live.cert);
    copyFileSync(b.key, live.key);
    ws.daemon.child.kill('SIGHUP');
    await until(() => /SIP certificate reloaded/.test(ws.daemon!.logs()), 'the reload log line', 10_000);
    assert.equal(await servedFingerprint('127.0.0.1', tlsPort), fingerprintOf(b.cert));
  });
});
