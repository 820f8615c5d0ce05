import assert from 'node:assert/strict';
import { silentLogger } from '../../../agent/src/common/index.js';
import { SipTransport } from '../../../agent/src/sip/transport.js';
import type { ListenAddress } from '../../../agent/src/sip/addr.js';

const at = (port: number): ListenAddress => ({ host: '127.0.0.1', port, family: 4 });
const limits = {
  maxMessageBytes: 65_535,
  tcpIdleTimeoutMs: 5000,
  tcpMessageTimeoutMs: 5000,
  maxTcpConnections: 10,
  maxTcpConnectionsPerSource: 10,
  log: silentLogger(),
};

describe('sip/transport', function () {
  this.timeout(5000);
  const open: SipTransport[] = [];
  afterEach(() => {
    for (const t of open.splice(0)) t.close();
  });

  it('UDP and TCP on port 0 of one address share the one port the kernel picked, and report it', async () => {
    for (let i = 0; i < 5; i++) {
      const t = await SipTransport.open({ ...limits, udp: at(0), tcp: at(0) });
      open.push(t);
      const [udp, tcp] = t.addresses;
      assert.equal(udp?.transport, 'udp');
      assert.equal(tcp?.transport, 'tcp');
      assert.ok(udp!.port > 0);
      assert.equal(tcp!.port, udp!.port);
    }
  });

  it('a fixed port is bound as given; UDP and TCP on 0 of different addresses get their own ports', async () => {
    const t = await SipTransport.open({ ...limits, udp: at(0) });
    const port = t.addresses[0]!.port;
    t.close();
    const fixed = await SipTransport.open({ ...limits, udp: at(port) });
    open.push(fixed);
    assert.equal(fixed.addresses[0]!.port, port);
    const split = await SipTransport.open({ ...limits, udp: at(0), tcp: { ...at(0), host: '127.0.0.2' } });
    open.push(split);
    assert.deepEqual(
      split.addresses.map((a) => [a.transport, a.host, a.port > 0]),
      [
        ['udp', '127.0.0.1', true],
        ['tcp', '127.0.0.2', true],
      ],
    );
  });
});
