// SIP over TLS on 127.0.0.1 with a throw-away self-signed certificate (node-forge).
import assert from 'node:assert/strict';
import { connect } from 'node:tls';
import forge from 'node-forge';
import { silentLogger } from '../../../agent/src/common/index.js';
import {
  SipStreamFramer,
  createSipStack,
  parseMessage,
  type SipStack,
} from '../../../agent/src/sip/index.js';
import { req } from './peer.js';

function selfSigned(): { cert: string; key: string } {
  const keys = forge.pki.rsa.generateKeyPair(2048);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 3_600_000);
  const attrs = [{ name: 'commonName', value: '127.0.0.1' }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: forge.pki.privateKeyToPem(keys.privateKey) };
}

describe('sip tls transport', function () {
  this.timeout(20_000);
  let stack: SipStack | undefined;

  afterEach(async () => {
    await stack?.close();
  });

  it('answers OPTIONS over TLS on the same connection', async () => {
    const { cert, key } = selfSigned();
    stack = await createSipStack({
      tls: { listen: '127.0.0.1:0', cert, key },
      trusted: ['127.0.0.1'],
      log: silentLogger(),
    });
    const port = stack.addresses.find((a) => a.transport === 'tls')?.port ?? 0;
    const sock = connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    try {
      await new Promise<void>((r) => sock.once('secureConnect', () => r()));
      const framer = new SipStreamFramer();
      const got = new Promise<Buffer>((resolve) => {
        sock.on('data', (c: Buffer) => {
          for (const f of framer.push(c)) if (f.type === 'message') resolve(f.bytes);
        });
      });
      sock.write(
        req('OPTIONS', {
          transport: 'TCP',
          port: sock.localPort ?? 0,
          branch: 'z9hG4bK-tls1',
          callId: 'tls1',
        }).replace('SIP/2.0/TCP', 'SIP/2.0/TLS'),
      );
      const res = parseMessage(await got, { transport: 'stream' });
      assert.equal(res.kind === 'response' && res.status, 200);
      assert.equal(res.via[0]?.transport, 'TLS');
    } finally {
      sock.destroy();
    }
  });
});
