/**
 * The admin API is HTTPS from the first start: when api.tls_cert/tls_key are not configured,
 * a self-signed certificate is generated once (RSA-2048, node-forge — node:crypto cannot issue
 * X.509) under storage.dir/tls/ (0700) with key and certificate at mode 0600, and reused on later starts.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes, X509Certificate } from 'node:crypto';
import forge from 'node-forge';

export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
  readonly generated: boolean;
  /** SHA-256 fingerprint, printed so a technician can pin it in a browser or curl. */
  readonly fingerprint256: string;
}

const VALID_DAYS = 825;

function generate(hosts: readonly string[]): { cert: string; key: string } {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048, e: 0x10001 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + VALID_DAYS * 86_400_000);
  const attrs = [
    { name: 'commonName', value: 'callvault appliance' },
    { name: 'organizationName', value: 'callvault' },
  ];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: hosts.map((h) => (/^[\d.]+$|:/.test(h) ? { type: 7, ip: h } : { type: 2, value: h })),
    },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: forge.pki.privateKeyToPem(keys.privateKey) };
}

export function loadOrCreateTls(opts: {
  certFile: string | null;
  keyFile: string | null;
  storageDir: string;
  hosts: readonly string[];
}): TlsMaterial {
  let certPath = opts.certFile;
  let keyPath = opts.keyFile;
  let generated = false;
  if (certPath === null || keyPath === null) {
    const dir = join(opts.storageDir, 'tls');
    certPath = join(dir, 'api.crt');
    keyPath = join(dir, 'api.key');
    if (!existsSync(certPath) || !existsSync(keyPath)) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const pair = generate(['localhost', '127.0.0.1', '::1', ...opts.hosts]);
      writeFileSync(keyPath, pair.key, { mode: 0o600 });
      writeFileSync(certPath, pair.cert, { mode: 0o600 });
      generated = true;
    }
  }
  const cert = readFileSync(certPath, 'utf8');
  return {
    cert,
    key: readFileSync(keyPath, 'utf8'),
    generated,
    fingerprint256: new X509Certificate(cert).fingerprint256,
  };
}

/**
 * Protocol and suites of the API listener: TLS 1.3, and TLS 1.2 with forward secrecy (ECDHE)
 * and AEAD only — no static-RSA key exchange, no CBC, no SHA-1 MACs that Node's defaults still
 * offer (Mozilla "intermediate" profile). The server picks the suite.
 */
export const TLS_SERVER_OPTIONS = {
  minVersion: 'TLSv1.2',
  ciphers: [
    'TLS_AES_128_GCM_SHA256',
    'TLS_AES_256_GCM_SHA384',
    'TLS_CHACHA20_POLY1305_SHA256',
    'ECDHE-ECDSA-AES128-GCM-SHA256',
    'ECDHE-RSA-AES128-GCM-SHA256',
    'ECDHE-ECDSA-AES256-GCM-SHA384',
    'ECDHE-RSA-AES256-GCM-SHA384',
    'ECDHE-ECDSA-CHACHA20-POLY1305',
    'ECDHE-RSA-CHACHA20-POLY1305',
  ].join(':'),
  ecdhCurve: 'X25519:P-256:P-384',
  honorCipherOrder: true,
} as const;
