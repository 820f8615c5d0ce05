import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { loadOrCreateTls } from '../../../agent/src/api/tls.js';

describe('api/tls', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cv-tls-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('generates a self-signed certificate once, key 0600, and reuses it', () => {
    const first = loadOrCreateTls({ certFile: null, keyFile: null, storageDir: dir, hosts: ['127.0.0.1'] });
    assert.equal(first.generated, true);
    assert.equal(statSync(join(dir, 'tls', 'api.key')).mode & 0o777, 0o600);
    const x = new X509Certificate(first.cert);
    assert.ok(x.checkIP('127.0.0.1'));
    assert.ok(x.checkHost('localhost'));
    const second = loadOrCreateTls({ certFile: null, keyFile: null, storageDir: dir, hosts: ['127.0.0.1'] });
    assert.equal(second.generated, false);
    assert.equal(second.fingerprint256, first.fingerprint256);
    assert.equal(readFileSync(join(dir, 'tls', 'api.crt'), 'utf8'), first.cert);
  });
});
