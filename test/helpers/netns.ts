/**
 * Runs code inside a fresh network namespace (`unshare -n`, `lo` up, nothing else), so tests that
 * feed the daemon foreign SIP — RFC 4475/5118 messages naming other hosts and multicast in Via,
 * fuzzed ports — cannot send a single packet off this machine, and can bind any port without
 * racing other tests. `callInNetns` runs one exported async function of a module there (input
 * and result as JSON); the probes below are such functions: each starts the real daemon as its
 * own child inside the namespace, drives it, samples its memory and reports what came back.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { connect } from 'node:net';
import { SipStreamFramer } from '../../agent/src/sip/index.js';
import { ROOT, startDaemon, type RunningDaemon } from './daemon.js';
import { mulberry32 } from './prng.js';
import { sleep } from './until.js';

let available: boolean | undefined;

/** Whether `unshare -n` works here (root or user namespaces, and iproute2 present). */
export function netnsAvailable(): boolean {
  available ??=
    spawnSync('unshare', ['-n', '--', 'sh', '-c', 'ip link set lo up'], { stdio: 'ignore', timeout: 5000 })
      .status === 0;
  return available;
}

// Reads the input from stdin, calls the export, prints the result after a marker so stray
// output of the function's own children cannot corrupt it.
const ENTRY = `
const [url, name] = process.argv.slice(1);
const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const mod = await import(url);
const out = await mod[name](JSON.parse(Buffer.concat(chunks).toString() || 'null'));
// Exit only once the (possibly large) result has been flushed to the pipe.
process.stdout.write('\\n@@RESULT@@' + JSON.stringify(out) + '\\n', () => process.exit(0));
`;

export interface NetnsCall<O> {
  /** false when `unshare -n` is unavailable and the function ran in the host's namespace. */
  readonly isolated: boolean;
  readonly result: O;
}

/**
 * Runs `moduleUrl`'s export `name(input)` in a new network namespace (falling back to the host's
 * when unshare is unavailable) and resolves with its JSON result. Bounded by `timeoutMs`.
 */
export function callInNetns<I, O>(
  moduleUrl: string,
  name: string,
  input: I,
  timeoutMs = 120_000,
): Promise<NetnsCall<O>> {
  const isolated = netnsAvailable();
  const node = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', ENTRY, moduleUrl, name];
  const [cmd, ...args] = isolated
    ? ['unshare', '-n', '--', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', ...node]
    : node;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd!, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const at = stdout.lastIndexOf('@@RESULT@@');
      if (code !== 0 || at < 0) {
        reject(new Error(`netns child exited ${code}:\n${stdout.slice(-4000)}\n${stderr.slice(-4000)}`));
        return;
      }
      resolve({ isolated, result: JSON.parse(stdout.slice(at + 10)) as O });
    });
    child.stdin.end(JSON.stringify(input));
  });
}

// ---- probes (run inside the namespace) ----

/** Resident set size of a process in KiB, from /proc/PID/status (0 when it is gone). */
export function rssKiB(pid: number | undefined): number {
  try {
    const m = /^VmRSS:\s+([0-9]+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return Number(m?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** GET http://127.0.0.1:PORT/metrics → { 'name{labels}': value } for the callvault_ series. */
export function scrape(port: number): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path: '/metrics', timeout: 5000 }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => {
        const out: Record<string, number> = {};
        for (const line of text.split('\n')) {
          const m = /^(callvault_[^ ]+) ([-+0-9.eE]+|NaN)$/.exec(line);
          if (m?.[1] !== undefined) out[m[1]] = Number(m[2]);
        }
        resolve(out);
      });
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('metrics timeout')));
  });
}

/** What a probe needs to know about the response it got: status line and the fields to match. */
export interface SeenResponse {
  readonly status: number;
  readonly callId: string;
  readonly cseq: string;
  /** Local port it arrived at (UDP) or 0 (TCP: on the request's connection). */
  readonly port: number;
}

const header = (text: string, long: string, compact: string): string =>
  new RegExp(`^(?:${long}|${compact})[ \\t]*:[ \\t]*(.*?)\\r?$`, 'im').exec(text)?.[1]?.trim() ?? '';

/** The raw Call-ID of a message (compact `i` too), '' when it has none. */
export function rawCallId(bytes: Buffer): string {
  return header(bytes.toString('latin1'), 'call-id', 'i');
}

function seen(bytes: Buffer, port: number): SeenResponse | undefined {
  const text = bytes.toString('latin1');
  const status = /^SIP\/2\.0 ([0-9]{3})/.exec(text)?.[1];
  if (status === undefined) return undefined;
  return {
    status: Number(status),
    callId: header(text, 'call-id', 'i'),
    cseq: header(text, 'cseq', 'cseq'),
    port,
  };
}

/** ACK for a non-2xx final response to INVITE (§17.1.1.3): stops the server's Timer G. */
function ackFor(res: Buffer): Buffer {
  const text = res.toString('latin1');
  const via = header(text, 'via', 'v').split(',')[0] ?? '';
  const seq = header(text, 'cseq', 'cseq').split(/\s+/)[0] ?? '1';
  return Buffer.from(
    `ACK sip:ack@127.0.0.1 SIP/2.0\r\nVia: ${via}\r\nFrom: ${header(text, 'from', 'f')}\r\n` +
      `To: ${header(text, 'to', 't')}\r\nCall-ID: ${header(text, 'call-id', 'i')}\r\n` +
      `CSeq: ${seq} ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`,
    'latin1',
  );
}

async function bindUdp(port: number, onMessage: (b: Buffer, port: number) => void): Promise<UdpSocket> {
  const s = createSocket('udp4');
  s.on('message', (b) => onMessage(b, port));
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, '127.0.0.1', () => resolve());
  });
  s.on('error', () => undefined);
  return s;
}

/** Sends OPTIONS with rport from a fresh socket and resolves with the status (0: no answer in 3 s). */
export async function optionsPing(daemonPort: number): Promise<number> {
  let status = 0;
  const s = await bindUdp(0, (b) => (status = seen(b, 0)?.status ?? status));
  const port = s.address().port;
  const id = `ping-${Date.now()}`;
  s.send(
    `OPTIONS sip:srs@127.0.0.1:${daemonPort} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${id};rport\r\n` +
      `From: <sip:probe@127.0.0.1>;tag=${id}\r\nTo: <sip:srs@127.0.0.1>\r\nCall-ID: ${id}\r\n` +
      `CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`,
    daemonPort,
    '127.0.0.1',
  );
  for (let i = 0; i < 60 && status === 0; i++) await sleep(50);
  s.close();
  return status;
}

/**
 * Sends `bytes` on a new TCP connection; collects responses until a final one (+grace) or
 * timeoutMs. Non-2xx answers to INVITE are ACKed, so no transaction lingers.
 */
export function tcpExchange(daemonPort: number, bytes: Buffer, timeoutMs: number): Promise<SeenResponse[]> {
  return new Promise((resolve) => {
    const got: SeenResponse[] = [];
    const framer = new SipStreamFramer();
    const sock = connect(daemonPort, '127.0.0.1');
    let grace: NodeJS.Timeout | undefined;
    const finish = (): void => {
      clearTimeout(timer);
      clearTimeout(grace);
      sock.destroy();
      resolve(got);
    };
    const timer = setTimeout(finish, timeoutMs);
    sock.on('connect', () => sock.write(bytes));
    sock.on('data', (d: Buffer) => {
      try {
        for (const f of framer.push(d)) {
          const r = f.type === 'message' ? seen(f.bytes, 0) : undefined;
          if (r === undefined) continue;
          got.push(r);
          // On a new connection: bytes after a message's Content-Length (RFC 5118's fixtures
          // have some) stay in this one's framer and would spoil an ACK sent behind them.
          if (f.type === 'message' && r.status >= 300 && /INVITE$/i.test(r.cseq))
            connect(daemonPort, '127.0.0.1')
              .on('error', () => undefined)
              .end(ackFor(f.bytes));
        }
      } catch {
        finish();
      }
      if (grace === undefined && got.some((r) => r.status >= 200)) grace = setTimeout(finish, 30);
    });
    sock.on('error', () => undefined);
    sock.on('close', finish);
  });
}

export interface TortureInput {
  /** --set list for the daemon (ports fixed: the namespace is private). */
  readonly sets: readonly string[];
  readonly sipPort: number;
  readonly metricsPort: number;
  /** UDP source port of the requests (5060: where a Via without port or rport is answered). */
  readonly sourcePort: number;
  /** Further local ports to listen on: every sent-by port the messages name. */
  readonly listenPorts: readonly number[];
  readonly messages: readonly { readonly name: string; readonly base64: string }[];
  /** How long to wait for a final response to one message. */
  readonly waitMs: number;
}

export interface TortureResult {
  readonly udp: Record<string, SeenResponse[]>;
  readonly tcp: Record<string, SeenResponse[]>;
  readonly optionsAfter: number;
  readonly rssBeforeKiB: number;
  readonly rssAfterKiB: number;
  readonly aliveAfter: boolean;
  readonly exitCode: number;
  readonly metrics: Record<string, number>;
  readonly logs: string;
}

async function withDaemon<T>(
  sets: readonly string[],
  stopSignal: NodeJS.Signals,
  fn: (d: RunningDaemon) => Promise<T>,
): Promise<T & { exitCode: number; logs: string }> {
  const d = await startDaemon([...sets]);
  try {
    const out = await fn(d);
    return { ...out, exitCode: await d.stop(stopSignal), logs: d.logs() };
  } finally {
    await d.stop('SIGKILL');
  }
}

/**
 * Torture probe: each message once over its own TCP connection, then once over UDP (from
 * `sourcePort`); non-2xx INVITE answers are ACKed. Per message, every response that came back.
 * TCP goes first because its transactions end at once (Timers J and I are 0 on streams): the
 * RFC 4475 messages reuse branches, and a UDP transaction still absorbing retransmissions for
 * 64*T1 would answer the TCP copy as a retransmission, over UDP.
 */
export function tortureProbe(input: TortureInput): Promise<TortureResult> {
  return withDaemon(input.sets, 'SIGTERM', async (d) => {
    let window: SeenResponse[] = [];
    // The ACKs go out from the sending socket, bound only after its handler exists.
    const out: { sender?: UdpSocket } = {};
    const onUdp = (b: Buffer, port: number): void => {
      const r = seen(b, port);
      if (r === undefined) return;
      window.push(r);
      if (r.status >= 300 && /INVITE$/i.test(r.cseq)) out.sender?.send(ackFor(b), input.sipPort, '127.0.0.1');
    };
    const sender = await bindUdp(input.sourcePort, onUdp);
    out.sender = sender;
    const others = await Promise.all(
      input.listenPorts.filter((p) => p !== input.sourcePort).map((p) => bindUdp(p, onUdp)),
    );
    const rssBeforeKiB = rssKiB(d.child.pid);
    const tcp: Record<string, SeenResponse[]> = {};
    for (const m of input.messages)
      tcp[m.name] = await tcpExchange(input.sipPort, Buffer.from(m.base64, 'base64'), input.waitMs);
    const udp: Record<string, SeenResponse[]> = {};
    for (const m of input.messages) {
      window = [];
      const bytes = Buffer.from(m.base64, 'base64');
      const callId = rawCallId(bytes);
      sender.send(bytes, input.sipPort, '127.0.0.1');
      for (let t = 0; t < input.waitMs; t += 10) {
        if (window.some((r) => r.status >= 200 && r.callId === callId)) break;
        await sleep(10);
      }
      await sleep(20);
      udp[m.name] = window;
    }
    const optionsAfter = await optionsPing(input.sipPort);
    const metrics = await scrape(input.metricsPort);
    const rssAfterKiB = rssKiB(d.child.pid);
    for (const s of [sender, ...others]) s.close();
    return {
      udp,
      tcp,
      optionsAfter,
      rssBeforeKiB,
      rssAfterKiB,
      aliveAfter: d.child.exitCode === null,
      metrics,
    };
  });
}

/**
 * One mutation of `base`: bit flips, truncation, a huge header (kept under `maxBytes`, the
 * largest datagram the caller can send), a wrong Content-Length, binary garbage, a duplicated
 * line or bare-LF line ends, or a SIP delimiter dropped into a random place.
 */
export function mutate(base: Buffer, rand: () => number, maxBytes: number): Buffer {
  const pick = (n: number): number => Math.floor(rand() * n);
  const b = Buffer.from(base);
  switch (pick(7)) {
    case 0:
      for (let k = 1 + pick(8); k > 0; k--) {
        const i = pick(b.length);
        b[i] = (b[i] ?? 0) ^ (1 << pick(8));
      }
      return b;
    case 1:
      return b.subarray(0, pick(b.length + 1));
    case 2: {
      const at = b.indexOf('\r\n') + 2;
      const room = Math.max(0, maxBytes - b.length - 12);
      const huge = Buffer.from(`X-Huge: ${'A'.repeat(Math.min(room, 1000 + pick(70_000)))}\r\n`);
      return Buffer.concat([b.subarray(0, at), huge, b.subarray(at)]);
    }
    case 3: {
      const n = ['-1', '0', '99999999999', String(pick(5000)), '1e3', ' 12 ', '0x10', ''][pick(8)] ?? '0';
      const s = b.toString('latin1').replace(/^(Content-Length|l)[ \t]*:[^\r\n]*/im, `Content-Length: ${n}`);
      return Buffer.from(s, 'latin1');
    }
    case 4: {
      const r = Buffer.alloc(pick(2000));
      for (let i = 0; i < r.length; i++) r[i] = pick(256);
      return r;
    }
    case 5: {
      const lines = b.toString('latin1').split('\r\n');
      lines.splice(1 + pick(Math.max(1, lines.length - 1)), 0, lines[pick(lines.length)] ?? '');
      return Buffer.from(lines.join(pick(2) === 0 ? '\r\n' : '\n'), 'latin1');
    }
    default: {
      const i = pick(b.length);
      const c = ['"', '<', '>', ';', ',', ':', '\\', '[', ']', '\r\n', '\0', '%', ' '][pick(13)] ?? ' ';
      return Buffer.concat([b.subarray(0, i), Buffer.from(c, 'latin1'), b.subarray(i + pick(2))]);
    }
  }
}

export interface FuzzInput {
  readonly sets: readonly string[];
  readonly sipPort: number;
  readonly metricsPort: number;
  readonly sourcePort: number;
  readonly listenPorts: readonly number[];
  readonly corpus: readonly string[];
  readonly seed: number;
  readonly udpCount: number;
  readonly tcpCount: number;
  /** Send rates; the daemon and this sender share two cores, and UDP has no flow control. */
  readonly udpPerSecond: number;
  readonly tcpPerSecond: number;
  /** Messages per TCP connection before it is closed and a new one opened. */
  readonly tcpPerConnection: number;
  /** Sending stops here even if the counts are not reached. */
  readonly budgetMs: number;
}

export interface FuzzResult {
  readonly udpSent: number;
  readonly tcpSent: number;
  readonly tcpConnections: number;
  readonly tcpClosedByDaemon: number;
  readonly udpResponses: number;
  readonly tcpResponses: number;
  readonly finals: Record<string, number>;
  /** Daemon RSS before, after each tenth of the UDP messages, and at the end (KiB). */
  readonly rssKiB: number[];
  readonly sendMs: number;
  readonly optionsAfter: number;
  readonly aliveAfter: boolean;
  readonly metrics: Record<string, number>;
  readonly errorLogs: string[];
  /** After SIGKILL: says nothing about the daemon. */
  readonly exitCode: number;
  readonly logs: string;
}

/**
 * Fuzz probe: `udpCount` + `tcpCount` mutated corpus messages, paced, against the daemon, which
 * is then killed: how it shuts down with the calls the fuzz opened is tested elsewhere.
 */
export function fuzzProbe(input: FuzzInput): Promise<FuzzResult> {
  return withDaemon(input.sets, 'SIGKILL', async (d) => {
    const corpus = input.corpus.map((c) => Buffer.from(c, 'base64'));
    const finals: Record<string, number> = {};
    const count = (r: SeenResponse | undefined): void => {
      if (r !== undefined && r.status >= 200) finals[r.status] = (finals[r.status] ?? 0) + 1;
    };
    let udpResponses = 0;
    const onUdp = (b: Buffer): void => {
      udpResponses++;
      count(seen(b, 0));
    };
    const socks = await Promise.all(
      [input.sourcePort, ...input.listenPorts.filter((p) => p !== input.sourcePort)].map((p) =>
        bindUdp(p, onUdp),
      ),
    );
    const sender = socks[0]!;
    const rss = [rssKiB(d.child.pid)];
    const start = Date.now();
    const deadline = start + input.budgetMs;

    const udpLoop = async (): Promise<number> => {
      const rand = mulberry32(input.seed);
      let sent = 0;
      while (sent < input.udpCount && Date.now() < deadline) {
        const due = Math.min(
          input.udpCount,
          Math.floor(((Date.now() - start) / 1000) * input.udpPerSecond) + 1,
        );
        for (; sent < due; sent++) {
          sender.send(mutate(corpus[sent % corpus.length]!, rand, 65_000), input.sipPort, '127.0.0.1');
          if ((sent + 1) % Math.ceil(input.udpCount / 10) === 0) rss.push(rssKiB(d.child.pid));
        }
        await sleep(5);
      }
      return sent;
    };

    let tcpSent = 0;
    let tcpConnections = 0;
    let tcpClosedByDaemon = 0;
    let tcpResponses = 0;
    const tcpLoop = async (lane: number): Promise<void> => {
      const rand = mulberry32(input.seed + 1 + lane);
      while (tcpSent < input.tcpCount && Date.now() < deadline) {
        tcpConnections++;
        const sock = connect(input.sipPort, '127.0.0.1');
        const framer = new SipStreamFramer();
        let closed = false;
        let ended = false;
        sock.on('data', (chunk: Buffer) => {
          try {
            for (const f of framer.push(chunk)) {
              if (f.type !== 'message') continue;
              tcpResponses++;
              count(seen(f.bytes, 0));
            }
          } catch {
            sock.destroy();
          }
        });
        sock.on('error', () => undefined);
        const gone = new Promise<void>((r) =>
          sock.on('close', () => {
            closed = true;
            r();
          }),
        );
        await new Promise<void>((r) => {
          sock.once('connect', () => r());
          sock.once('close', () => r());
        });
        for (let n = 0; n < input.tcpPerConnection && !closed; n++) {
          const due = ((Date.now() - start) / 1000) * input.tcpPerSecond;
          if (tcpSent > due) await sleep(Math.ceil(((tcpSent - due) / input.tcpPerSecond) * 1000));
          if (tcpSent >= input.tcpCount || closed) break;
          sock.write(mutate(corpus[(tcpSent + lane) % corpus.length]!, rand, 70_000));
          tcpSent++;
        }
        if (closed) {
          tcpClosedByDaemon++;
        } else {
          ended = true;
          sock.end();
        }
        await Promise.race([gone, sleep(2000)]);
        if (ended && !closed) sock.destroy();
      }
    };

    const lanes = 4;
    const [udpSent] = await Promise.all([udpLoop(), ...Array.from({ length: lanes }, (_, i) => tcpLoop(i))]);
    const sendMs = Date.now() - start;
    await sleep(1000);
    const optionsAfter = await optionsPing(input.sipPort);
    const metrics = await scrape(input.metricsPort);
    rss.push(rssKiB(d.child.pid));
    for (const s of socks) s.close();
    const errorLogs = d
      .logs()
      .split('\n')
      .filter((l) => /"level":(50|60)/.test(l))
      .slice(0, 10);
    return {
      udpSent: udpSent ?? 0,
      tcpSent,
      tcpConnections,
      tcpClosedByDaemon,
      udpResponses,
      tcpResponses,
      finals,
      rssKiB: rss,
      sendMs,
      optionsAfter,
      aliveAfter: d.child.exitCode === null,
      metrics,
      errorLogs,
    };
  });
}
