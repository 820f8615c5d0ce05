import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildC, runToEnd, startPinned, stopPinned, waitForOutput, type Pinned } from '../procs.js';
import { writePlan } from '../traffic.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

async function freeUdpPorts(n: number): Promise<number[]> {
  const socks: Socket[] = [];
  for (let i = 0; i < n; i++) {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1');
    await once(s, 'listening');
    socks.push(s);
  }
  const ports = socks.map((s) => s.address().port);
  await Promise.all(socks.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

describe('bench/load C sender and baseline receiver', function () {
  this.timeout(30_000);
  let dir: string;
  let children: Pinned[] = [];
  let sockets: Socket[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cv-load-c-'));
  });

  afterEach(async () => {
    for (const c of children) await stopPinned(c, 'SIGKILL', 2000);
    for (const s of sockets) s.close();
    children = [];
    sockets = [];
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends 50 packets/s per stream, every one received by the baseline, with a per-stream report', async () => {
    const sender = buildC(ROOT, dir, 'rtp-sender');
    const receiver = buildC(ROOT, dir, 'baseline-receiver');
    const ports = await freeUdpPorts(4);
    const plan = join(dir, 'plan.txt');
    writePlan(
      plan,
      ports.map((port, i) => ({ port, toneHz: 400 + 100 * i })),
    );
    const rx = startPinned(null, receiver, ['-p', plan, '-t', '20', '-r', join(dir, 'rx.json')]);
    children.push(rx);
    await waitForOutput(rx, /^ready 4$/m, 5000);
    const tx = startPinned(null, sender, ['-p', plan, '-d', '1', '-r', join(dir, 'tx.json')]);
    children.push(tx);
    assert.equal((await runToEnd(tx, 10_000)).code, 0);
    await new Promise((r) => setTimeout(r, 100));
    rx.child.kill('SIGTERM');
    assert.equal((await runToEnd(rx, 5000)).code, 0);
    const txr = JSON.parse(readFileSync(join(dir, 'tx.json'), 'utf8')) as {
      packetsSent: number;
      perStream: number[];
      sendErrors: number;
    };
    const rxr = JSON.parse(readFileSync(join(dir, 'rx.json'), 'utf8')) as {
      packets: number;
      bytes: number;
      perPort: [number, number][];
    };
    assert.equal(txr.packetsSent, 200);
    assert.deepEqual(txr.perStream, [50, 50, 50, 50]);
    assert.equal(txr.sendErrors, 0);
    assert.equal(rxr.packets, 200);
    assert.equal(rxr.bytes, 200 * 172);
    assert.deepEqual(
      rxr.perPort.map(([, n]) => n),
      [50, 50, 50, 50],
    );
  });

  it('sends RTP PT 0 with 160-byte payloads, consecutive seq, +160 timestamps and one SSRC', async () => {
    const sender = buildC(ROOT, dir, 'rtp-sender');
    const sock = createSocket('udp4');
    sockets.push(sock);
    sock.bind(0, '127.0.0.1');
    await once(sock, 'listening');
    const got: Buffer[] = [];
    sock.on('message', (m) => got.push(m));
    const plan = join(dir, 'plan.txt');
    writePlan(plan, [{ port: sock.address().port, toneHz: 1000 }]);
    const tx = startPinned(null, sender, ['-p', plan, '-d', '0.2', '-r', join(dir, 'tx.json')]);
    children.push(tx);
    assert.equal((await runToEnd(tx, 10_000)).code, 0);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(got.length, 10);
    got.forEach((p, k) => {
      assert.equal(p.length, 172);
      assert.equal(p[0], 0x80);
      assert.equal(p[1]! & 0x7f, 0);
      assert.equal(p[1]! & 0x80, k === 0 ? 0x80 : 0);
      assert.equal(p.readUInt16BE(2), (got[0]!.readUInt16BE(2) + k) & 0xffff);
      assert.equal(p.readUInt32BE(4), (got[0]!.readUInt32BE(4) + 160 * k) >>> 0);
      assert.equal(p.readUInt32BE(8), got[0]!.readUInt32BE(8));
    });
    // A 1 kHz tone at 8 kHz repeats every 8 samples: µ-law bytes too.
    const payload = got[3]!.subarray(12);
    for (let i = 8; i < 160; i++) assert.equal(payload[i], payload[i - 8]);
  });

  it('refuses a bad plan line with exit 1', async () => {
    const sender = buildC(ROOT, dir, 'rtp-sender');
    const plan = join(dir, 'plan.txt');
    writePlan(plan, [{ port: 70000, toneHz: 440 }]);
    const tx = startPinned(null, sender, ['-p', plan, '-d', '1']);
    children.push(tx);
    assert.equal((await runToEnd(tx, 5000)).code, 1);
  });
});
