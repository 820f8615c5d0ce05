// SipStack over real sockets on 127.0.0.1 (port 0): transactions, dialogs, protection, routing.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { silentLogger } from '../../../agent/src/common/index.js';
import {
  SipConfigError,
  createSipStack,
  parseMessage,
  type ServerTx,
  type SipDialog,
  type SipRequest,
  type SipStack,
  type SipStackOptions,
} from '../../../agent/src/sip/index.js';
import { Peer, okTo, req, request, status } from './peer.js';

const SDP =
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';

describe('sip stack', function () {
  this.timeout(10_000);
  let stack: SipStack | undefined;
  const peers: Peer[] = [];

  async function start(
    extra: Partial<SipStackOptions> = {},
  ): Promise<{ s: SipStack; udp: number; tcp: number }> {
    stack = await createSipStack({
      udp: '127.0.0.1:0',
      tcp: '127.0.0.1:0',
      trusted: ['127.0.0.0/8'],
      timers: { t1Ms: 20, t2Ms: 80, t4Ms: 50 },
      log: silentLogger(),
      ...extra,
    });
    const port = (t: string): number => stack?.addresses.find((a) => a.transport === t)?.port ?? 0;
    return { s: stack, udp: port('udp'), tcp: port('tcp') };
  }

  async function udpPeer(): Promise<Peer> {
    const p = await Peer.udp();
    peers.push(p);
    return p;
  }

  afterEach(async () => {
    for (const p of peers.splice(0)) p.close();
    await stack?.close();
    stack = undefined;
  });

  it('answers OPTIONS over UDP with Allow, stamping received/rport from the real source', async () => {
    const { s, udp } = await start({ supported: ['siprec'] });
    const p = await udpPeer();
    p.send(req('OPTIONS', { port: 5999, branch: 'z9hG4bK-o1', callId: 'o1' }), udp);
    const res = await p.wait(status(200, 'OPTIONS'));
    assert.equal(res.via[0]?.rport, p.port);
    assert.equal(
      res.headers.find((h) => h.name === 'allow')?.value,
      'INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE',
    );
    assert.equal(s.stats().sent, 1);
  });

  it('listens on IPv6 loopback and answers with the IPv6 source in received', async () => {
    stack = await createSipStack({ udp: '[::1]:0', trusted: ['::1/128'], log: silentLogger() });
    const port = stack.addresses[0]?.port ?? 0;
    const sock = createSocket('udp6');
    try {
      await new Promise<void>((r) => sock.bind(0, '::1', () => r()));
      const got = new Promise<Buffer>((r) => sock.once('message', (b) => r(b)));
      const text = req('OPTIONS', { port: 5060, branch: 'z9hG4bK-v6', callId: 'v6' }).replace(
        'Via: SIP/2.0/UDP 127.0.0.1:5060',
        `Via: SIP/2.0/UDP [::1]:${sock.address().port}`,
      );
      sock.send(Buffer.from(text), port, '::1');
      const res = parseMessage(await got);
      assert.equal(res.kind === 'response' && res.status, 200);
      assert.equal(res.via[0]?.rport, sock.address().port);
    } finally {
      sock.close();
    }
  });

  it('answers OPTIONS over TCP and pongs CRLF keep-alives', async () => {
    const { tcp } = await start();
    const p = await Peer.tcp(tcp);
    peers.push(p);
    p.send('\r\n\r\n', tcp);
    p.send(req('OPTIONS', { transport: 'TCP', port: p.port, branch: 'z9hG4bK-t1', callId: 't1' }), tcp);
    await p.wait(status(200, 'OPTIONS'));
    assert.ok(Buffer.concat(p.raw).toString().startsWith('\r\n'));
  });

  it('gives 403 to an untrusted source and counts it', async () => {
    const { s, udp } = await start({ trusted: ['192.0.2.0/24'] });
    const p = await udpPeer();
    p.send(req('INVITE', { port: p.port, branch: 'z9hG4bK-u1', callId: 'u1', body: SDP }), udp);
    await p.wait(status(403, 'INVITE'));
    assert.equal(s.stats().rejected['untrusted'], 1);
    assert.equal(s.stats().transactions, 0);
  });

  it('runs an INVITE / 200 / ACK / BYE call and absorbs retransmissions', async () => {
    const { s, udp } = await start();
    const p = await udpPeer();
    const events: string[] = [];
    s.on('invite', (_r: SipRequest, tx: ServerTx) => {
      events.push('invite');
      tx.respond(200, 'OK', [['Content-Type', 'application/sdp']], Buffer.from(SDP));
    });
    s.on('ack', () => events.push('ack'));
    s.on('bye', () => events.push('bye'));
    const o = { port: p.port, branch: 'z9hG4bK-c1', callId: 'c1', body: SDP };
    p.send(req('INVITE', o), udp);
    await p.wait(status(100, 'INVITE'));
    const ok = await p.wait(status(200, 'INVITE'));
    assert.ok(ok.to.tag);
    assert.ok(ok.headers.some((h) => h.name === 'contact'));
    p.send(req('INVITE', o), udp);
    const again = await p.wait(status(200, 'INVITE'));
    assert.equal(again.to.tag, ok.to.tag);
    p.send(req('ACK', { port: p.port, branch: 'z9hG4bK-c1ack', callId: 'c1', toTag: ok.to.tag }), udp);
    await new Promise((r) => setTimeout(r, 200));
    const retransmitted = p.inbox.filter(status(200, 'INVITE')).length;
    assert.ok(retransmitted <= 1, `2xx still retransmitted after ACK: ${retransmitted}`);
    assert.equal(s.dialogs().length, 1);
    p.send(
      req('BYE', { port: p.port, branch: 'z9hG4bK-c1bye', callId: 'c1', cseq: 2, toTag: ok.to.tag }),
      udp,
    );
    await p.wait(status(200, 'BYE'));
    assert.deepEqual(events, ['invite', 'ack', 'bye']);
    assert.equal(s.dialogs().length, 0);
  });

  it('retransmits an unacknowledged 2xx, then emits ack-timeout and sends BYE', async () => {
    const { s, udp } = await start();
    const p = await udpPeer();
    s.on('invite', (_r, tx) =>
      tx.respond(200, 'OK', [['Content-Type', 'application/sdp']], Buffer.from(SDP)),
    );
    const timedOut = new Promise<SipDialog>((r) => s.on('ack-timeout', r));
    p.send(req('INVITE', { port: p.port, branch: 'z9hG4bK-l1', callId: 'l1', body: SDP }), udp);
    const bye = await p.wait(request('BYE'), 5000);
    await timedOut;
    assert.ok(p.inbox.filter(status(200, 'INVITE')).length >= 3);
    assert.equal(bye.cseq.method, 'BYE');
    assert.equal(bye.callId, 'l1');
    p.send(okTo(bye), udp);
    assert.equal(s.dialogs().length, 0);
  });

  it('answers CANCEL with 200 and the INVITE with 487, then absorbs the ACK', async () => {
    const { s, udp } = await start();
    const p = await udpPeer();
    const cancelled: string[] = [];
    s.on('invite', () => undefined);
    s.on('cancel', (inv) => cancelled.push(inv.callId));
    p.send(req('INVITE', { port: p.port, branch: 'z9hG4bK-x1', callId: 'x1', body: SDP }), udp);
    await p.wait(status(100, 'INVITE'));
    p.send(req('CANCEL', { port: p.port, branch: 'z9hG4bK-x1', callId: 'x1' }), udp);
    await p.wait(status(200, 'CANCEL'));
    const r487 = await p.wait(status(487, 'INVITE'));
    p.send(req('ACK', { port: p.port, branch: 'z9hG4bK-x1', callId: 'x1', toTag: r487.to.tag }, 'ACK'), udp);
    assert.deepEqual(cancelled, ['x1']);
    p.send(req('CANCEL', { port: p.port, branch: 'z9hG4bK-none', callId: 'x2' }), udp);
    await p.wait(status(481, 'CANCEL'));
    assert.equal(s.stats().rejected['stray-ack'] ?? 0, 0);
  });

  it('sends BYE from our side and routes re-INVITE and UPDATE to the dialog', async () => {
    const { s, udp } = await start();
    const p = await udpPeer();
    let dialog: SipDialog | undefined;
    s.on('invite', (_r, tx) => {
      tx.respond(200, 'OK', [['Content-Type', 'application/sdp']], Buffer.from(SDP));
      dialog = tx.dialog;
    });
    s.on('reinvite', (_r, tx, d) => tx.respond(200, 'OK', [['X-Dialog', d.id.length > 0 ? 'yes' : 'no']]));
    s.on('update', (_r, tx) => tx.respond(200, 'OK'));
    p.send(req('INVITE', { port: p.port, branch: 'z9hG4bK-d1', callId: 'd1', body: SDP }), udp);
    const ok = await p.wait(status(200, 'INVITE'));
    p.send(req('ACK', { port: p.port, branch: 'z9hG4bK-d1a', callId: 'd1', toTag: ok.to.tag }), udp);
    p.send(
      req('INVITE', {
        port: p.port,
        branch: 'z9hG4bK-d1r',
        callId: 'd1',
        cseq: 2,
        toTag: ok.to.tag,
        body: SDP,
      }),
      udp,
    );
    const re = await p.wait((m) => status(200, 'INVITE')(m) && m.cseq.seq === 2);
    assert.equal(re.headers.find((h) => h.name === 'x-dialog')?.value, 'yes');
    p.send(
      req('ACK', { port: p.port, branch: 'z9hG4bK-d1ra', callId: 'd1', cseq: 2, toTag: ok.to.tag }),
      udp,
    );
    p.send(
      req('UPDATE', { port: p.port, branch: 'z9hG4bK-d1u', callId: 'd1', cseq: 3, toTag: ok.to.tag }),
      udp,
    );
    await p.wait(status(200, 'UPDATE'));
    assert.ok(dialog);
    const result = s.sendBye(dialog);
    const bye = await p.wait(request('BYE'));
    p.send(okTo(bye), udp);
    assert.equal(await result, 200);
    p.send(req('BYE', { port: p.port, branch: 'z9hG4bK-d1b', callId: 'd1', cseq: 4, toTag: ok.to.tag }), udp);
    await p.wait(status(481, 'BYE'));
  });

  it('answers 500 when the application never responds, and 405 to unknown methods', async () => {
    const { udp } = await start({ finalResponseTimeoutMs: 100 });
    const p = await udpPeer();
    p.send(req('INVITE', { port: p.port, branch: 'z9hG4bK-n1', callId: 'n1', body: SDP }), udp);
    await p.wait(status(500, 'INVITE'));
    p.send(req('MESSAGE', { port: p.port, branch: 'z9hG4bK-m1', callId: 'm1' }), udp);
    await p.wait(status(405, 'MESSAGE'));
  });

  it('salvages a 400 for an unparseable request and counts the reason', async () => {
    const { s, udp } = await start();
    const p = await udpPeer();
    const bad = req('OPTIONS', { port: p.port, branch: 'z9hG4bK-b1', callId: 'b1' }).replace(
      'CSeq: 1 OPTIONS',
      'CSeq: 99999999999 OPTIONS',
    );
    p.send(bad, udp);
    // The 400 echoes the unparseable CSeq, so it is checked as text.
    for (let i = 0; i < 50 && p.raw.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    const text = p.raw[0]?.toString() ?? '';
    assert.ok(text.startsWith('SIP/2.0 400 Bad Request (bad-cseq)\r\n'), text);
    assert.match(text, /\r\nCall-ID: b1\r\n/);
    assert.match(text, /\r\nTo: <sip:srs@127.0.0.1>;tag=[0-9a-f]{16}\r\n/);
    assert.equal(s.stats().rejected['bad-cseq'], 1);
  });

  it('rate-limits a flooding source and counts the drops', async () => {
    const { s, udp } = await start({ rateLimitPerSecond: 5 });
    const p = await udpPeer();
    for (let i = 0; i < 20; i++)
      p.send(req('OPTIONS', { port: p.port, branch: `z9hG4bK-r${i}`, callId: `r${i}` }), udp);
    await p.wait(status(200, 'OPTIONS'));
    await new Promise((r) => setTimeout(r, 100));
    assert.ok((s.stats().rejected['rate-limited'] ?? 0) >= 10);
    assert.ok(p.inbox.length <= 6);
  });

  it('closes a TCP connection that breaks framing', async () => {
    const { s, tcp } = await start();
    const p = await Peer.tcp(tcp);
    peers.push(p);
    p.send('OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1\r\n\r\n', tcp);
    await p.closedByServer;
    assert.equal(s.stats().rejected['content-length'], 1);
  });

  it('closes slow TCP senders and caps connections per source', async () => {
    const { s, tcp } = await start({ tcpMessageTimeoutMs: 100, maxTcpConnectionsPerSource: 2 });
    const slow = await Peer.tcp(tcp);
    peers.push(slow);
    slow.send('OPTIONS sip:srs@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1', tcp);
    await slow.closedByServer;
    assert.equal(s.stats().rejected['tcp-slow-message'], 1);
    const a = await Peer.tcp(tcp);
    const b = await Peer.tcp(tcp);
    const c = await Peer.tcp(tcp);
    peers.push(a, b, c);
    await c.closedByServer;
    assert.equal(s.stats().rejected['tcp-per-source-limit'], 1);
    a.send(req('OPTIONS', { transport: 'TCP', port: a.port, branch: 'z9hG4bK-cap', callId: 'cap' }), tcp);
    await a.wait(status(200, 'OPTIONS'));
  });

  it('rejects bad listen and trust config with coded errors, and is closed after close()', async () => {
    const log = silentLogger();
    await assert.rejects(
      createSipStack({ udp: 'localhost:5060', trusted: [], log }),
      (e: unknown) => e instanceof SipConfigError && e.code === 'CV_ERR_SIP_CONFIG',
    );
    await assert.rejects(
      createSipStack({ udp: '127.0.0.1:0', trusted: ['10.0.0.0/99'], log }),
      SipConfigError,
    );
    await assert.rejects(createSipStack({ udp: 'off', trusted: [], log }), SipConfigError);
    const { s } = await start();
    await s.close();
    await s.close();
    const d = { id: 'x' } as SipDialog;
    await assert.rejects(s.sendBye(d), (e: unknown) => (e as { code?: string }).code === 'CV_ERR_SIP_CLOSED');
  });
});
