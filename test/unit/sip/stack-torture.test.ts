// The RFC 4475/5118 messages and mutated traffic sent to a running stack on 127.0.0.1. With
// forceRport every response goes back to the sending socket, so none can leave this host even
// though the messages name other hosts (maddr, received, sent-by) in their Via.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { silentLogger } from '../../../agent/src/common/index.js';
import { createSipStack, parseMessage, type SipStack } from '../../../agent/src/sip/index.js';
import { Peer, req, status } from './peer.js';
import { sleep } from '../../helpers/until.js';

const FIXTURES = new URL('../../fixtures/sip/', import.meta.url);

function fixtures(): { name: string; bytes: Buffer }[] {
  const out: { name: string; bytes: Buffer }[] = [];
  for (const dir of ['rfc4475', 'rfc5118']) {
    for (const f of readdirSync(new URL(`${dir}/`, FIXTURES)).sort()) {
      out.push({ name: `${dir}/${f}`, bytes: readFileSync(new URL(`${dir}/${f}`, FIXTURES)) });
    }
  }
  return out;
}

function sumRejected(s: SipStack): number {
  return Object.values(s.stats().rejected).reduce((a, b) => a + b, 0);
}


/** Status lines of the raw responses in `bytes` (a 400 without From/To/Call-ID does not parse). */
function statuses(bytes: Buffer): number[] {
  return [...bytes.toString('latin1').matchAll(/^SIP\/2\.0 ([0-9]{3}) /gm)].map((m) => Number(m[1]));
}

/** Sends bytes on a fresh TCP connection; resolves with what came back once the server closed it. */
function tcpUntilClosed(port: number, bytes: Buffer, timeoutMs: number): Promise<{ got: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const sock = connect(port, '127.0.0.1', () => sock.write(bytes));
    const done = (closed: boolean): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ got: Buffer.concat(chunks), closed });
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('end', () => done(true));
    sock.on('error', () => done(true));
  });
}

describe('sip stack under torture', function () {
  this.timeout(30_000);
  let stack: SipStack | undefined;
  let peer: Peer | undefined;

  afterEach(async () => {
    peer?.close();
    await stack?.close();
  });

  async function start(): Promise<{ s: SipStack; udp: number; tcp: number; p: Peer }> {
    stack = await createSipStack({
      udp: '127.0.0.1:0',
      tcp: '127.0.0.1:0',
      trusted: ['127.0.0.1'],
      forceRport: true,
      rateLimitPerSecond: 100_000,
      timers: { t1Ms: 10, t2Ms: 40, t4Ms: 20 },
      log: silentLogger(),
    });
    stack.on('invite', (_r, tx) => tx.respond(480, 'Temporarily Unavailable'));
    peer = await Peer.udp();
    const port = (t: string): number => stack?.addresses.find((a) => a.transport === t)?.port ?? 0;
    return { s: stack, udp: port('udp'), tcp: port('tcp'), p: peer };
  }

  it('every torture request gets a final response or a counted rejection; responses are dropped and counted', async () => {
    const { s, udp, p } = await start();
    // RFC 4475 reuses branches across messages; RFC 3261 §17.2.3 matching makes a later message
    // with the same branch, sent-by and method a retransmission answered with the first one's
    // response, so that is the Call-ID to expect.
    const firstCallId = new Map<string, string>();
    for (const { name, bytes } of fixtures()) {
      let parsed;
      try {
        parsed = parseMessage(bytes);
      } catch {
        parsed = undefined;
      }
      const before = sumRejected(s);
      p.send(bytes, udp);
      if (parsed?.kind === 'request' && parsed.method !== 'ACK') {
        const top = parsed.via[0];
        const key = `${top?.branch}|${top?.host}:${top?.port}|${parsed.method}`;
        const callId = firstCallId.get(key) ?? parsed.callId;
        firstCallId.set(key, callId);
        const res = await p
          .wait((m) => m.kind === 'response' && m.status >= 200 && m.callId === callId)
          .catch((err: unknown) => assert.fail(`${name}: no final response (${String(err)})`));
        assert.ok(res.kind === 'response' && res.status >= 200, name);
      } else {
        // Not "until something arrives": a 400 to an earlier unparsable message (insuf has no
        // Call-ID, so nothing waited for it) may arrive now.
        for (let i = 0; i < 100 && sumRejected(s) === before; i++) await sleep(5);
        assert.ok(sumRejected(s) > before, `${name}: neither answered nor counted`);
      }
    }
    p.send(req('OPTIONS', { port: p.port, branch: 'z9hG4bK-after', callId: 'after' }), udp);
    await p.wait(status(200, 'OPTIONS'));
    assert.equal(s.stats().rejected['internal'], undefined);
    assert.equal(s.stats().listenerErrors, 0);
  });

  // RFC 4475 §3.3.1 (no From, To, Call-ID) and §3.3.9 (two Content-Length): 400, and over TCP the
  // connection is closed after it (the stream position is lost or suspect).
  for (const name of ['insuf', 'mcl01']) {
    it(`${name} gets 400 over UDP, and over TCP 400 then the connection closed`, async () => {
      const { s, udp, tcp, p } = await start();
      const bytes = readFileSync(new URL(`rfc4475/${name}.dat`, FIXTURES));
      p.send(bytes, udp);
      for (let i = 0; i < 200 && !statuses(Buffer.concat(p.raw)).includes(400); i++) await sleep(5);
      assert.deepEqual(statuses(Buffer.concat(p.raw)), [400], `${name} over UDP`);
      const { got, closed } = await tcpUntilClosed(tcp, bytes, 5000);
      assert.deepEqual(statuses(got), [400], `${name} over TCP`);
      assert.ok(closed, `${name}: TCP connection left open`);
      assert.ok((s.stats().rejected[name === 'insuf' ? 'missing-header' : 'content-length'] ?? 0) >= 2);
    });
  }

  it('survives mutated traffic over UDP and TCP, drains its transactions and still answers OPTIONS', async () => {
    const { s, udp, tcp, p } = await start();
    const base = fixtures().map((f) => f.bytes);
    let seed = 1234567;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const mutate = (b: Buffer): Buffer => {
      const m = Buffer.from(b);
      for (let k = 0; k < 1 + Math.floor(rand() * 4); k++) {
        const i = Math.floor(rand() * m.length);
        m[i] = Math.floor(rand() * 256);
      }
      return rand() < 0.2 ? m.subarray(0, Math.floor(rand() * m.length)) : m;
    };
    const heapBefore = process.memoryUsage().heapUsed;
    for (let n = 0; n < 3000; n++) {
      p.send(mutate(base[n % base.length] ?? Buffer.alloc(0)), udp);
      if (n % 25 === 0) await sleep(2);
    }
    const conns: Peer[] = [];
    for (let c = 0; c < 20; c++) {
      const t = await Peer.tcp(tcp);
      conns.push(t);
      for (let n = 0; n < 10; n++) t.send(mutate(base[(c * 10 + n) % base.length] ?? Buffer.alloc(0)), tcp);
    }
    await sleep(300);
    for (const t of conns) t.close();
    for (let i = 0; i < 60 && s.stats().transactions > 0; i++) await sleep(50);
    assert.equal(s.stats().transactions, 0, 'transactions leaked');
    p.send(req('OPTIONS', { port: p.port, branch: 'z9hG4bK-alive', callId: 'alive' }), udp);
    await p.wait(status(200, 'OPTIONS'));
    assert.equal(s.stats().rejected['internal'], undefined);
    assert.ok(s.stats().received >= 2500, `received ${s.stats().received}`);
    const grown = process.memoryUsage().heapUsed - heapBefore;
    assert.ok(grown < 200 * 1024 * 1024, `heap grew ${grown}`);
  });
});
