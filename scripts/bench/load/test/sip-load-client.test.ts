import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { SipLoadClient } from '../sip-load-client.js';
import { LoadBenchError } from '../errors.js';

/** A fake SRS: answers INVITE (after `dropFirst` INVITEs unanswered) and BYE, records what it saw. */
async function fakeSrs(
  o: { status?: number; dropFirst?: number; silent?: boolean } = {},
): Promise<{ socket: Socket; seen: string[] }> {
  const socket = createSocket('udp4');
  const seen: string[] = [];
  let dropped = 0;
  let port = 30000;
  socket.on('message', (msg, rinfo) => {
    const t = msg.toString();
    const method = t.slice(0, t.indexOf(' '));
    seen.push(method);
    if (o.silent === true || method === 'ACK') return;
    if (method === 'INVITE' && dropped < (o.dropFirst ?? 0)) {
      dropped++;
      return;
    }
    const h = (name: string): string => new RegExp(`^${name}: .*$`, 'mi').exec(t)?.[0] ?? '';
    const status = method === 'INVITE' ? (o.status ?? 200) : 200;
    const sdp =
      status === 200 && method === 'INVITE'
        ? `v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio ${port} RTP/AVP 0\r\nm=audio ${port + 2} RTP/AVP 0\r\n`
        : '';
    if (sdp !== '') port += 4;
    const resp = [
      `SIP/2.0 ${status} X`,
      h('Via'),
      h('From'),
      `${h('To')};tag=srs1`,
      h('Call-ID'),
      h('CSeq'),
      `Content-Length: ${sdp.length}`,
      '',
      sdp,
    ].join('\r\n');
    socket.send(resp, rinfo.port, rinfo.address);
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return { socket, seen };
}

describe('bench/load SipLoadClient', function () {
  this.timeout(20_000);
  let srs: Socket | null = null;
  let client: SipLoadClient | null = null;

  afterEach(async () => {
    await client?.close();
    srs?.close();
    client = null;
    srs = null;
  });

  it('sets up N calls with their answer ports, ACKs each 2xx and BYEs them all', async () => {
    const f = await fakeSrs();
    srs = f.socket;
    client = await SipLoadClient.open({ host: '127.0.0.1', port: f.socket.address().port });
    const r = await client.setup(10, { window: 4 });
    assert.equal(r.calls.length, 10);
    assert.equal(r.firstFailure, null);
    assert.ok(r.callsPerSecond > 0);
    assert.deepEqual(
      r.calls.map((c) => c.index),
      [...Array(10).keys()],
    );
    assert.equal(new Set(r.calls.map((c) => c.ports[0])).size, 10);
    assert.ok(
      r.calls.every((c) => c.ports.length === 2 && c.ports[1] === c.ports[0]! + 2 && c.toTag === 'srs1'),
    );
    const bye = await client.byeAll(r.calls, 4);
    assert.deepEqual({ ok: bye.ok, failed: bye.failed }, { ok: 10, failed: 0 });
    await new Promise((res) => setTimeout(res, 50));
    assert.equal(f.seen.filter((m) => m === 'ACK').length, 10);
    assert.equal(f.seen.filter((m) => m === 'BYE').length, 10);
  });

  it('retransmits an unanswered INVITE (timer A)', async () => {
    const f = await fakeSrs({ dropFirst: 1 });
    srs = f.socket;
    client = await SipLoadClient.open({ host: '127.0.0.1', port: f.socket.address().port });
    const r = await client.setup(1);
    assert.equal(r.calls.length, 1);
    assert.equal(f.seen.filter((m) => m === 'INVITE').length, 2);
  });

  it('stops placing calls at the first failure and reports its status', async () => {
    const f = await fakeSrs({ status: 503 });
    srs = f.socket;
    client = await SipLoadClient.open({ host: '127.0.0.1', port: f.socket.address().port });
    const r = await client.setup(50, { window: 1 });
    assert.equal(r.firstFailure, '503');
    assert.equal(r.calls.length, 0);
    assert.equal(r.attempted, 1);
    await new Promise((res) => setTimeout(res, 50));
    assert.equal(f.seen.filter((m) => m === 'ACK').length, 1);
  });

  it('gives up after the transaction timeout', async () => {
    const f = await fakeSrs({ silent: true });
    srs = f.socket;
    client = await SipLoadClient.open({ host: '127.0.0.1', port: f.socket.address().port });
    const r = await client.setup(3, { window: 1, transactionTimeoutMs: 300 });
    assert.equal(r.firstFailure, 'timeout');
    assert.equal(r.calls.length, 0);
  });

  it('fails with CV_ERR_BENCH_CLOSED after close()', async () => {
    const f = await fakeSrs();
    srs = f.socket;
    client = await SipLoadClient.open({ host: '127.0.0.1', port: f.socket.address().port });
    await client.close();
    await client.close();
    await assert.rejects(
      client.call(0),
      (e: unknown) => e instanceof LoadBenchError && e.code === 'CV_ERR_BENCH_CLOSED',
    );
  });
});
