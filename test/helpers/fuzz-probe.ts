/**
 * The fuzz probe (run inside the namespace by callInNetns): mutated corpus messages, paced, over
 * UDP and TCP against a daemon it starts, and what the daemon answered and how it held up.
 */
import { connect } from 'node:net';
import { SipStreamFramer } from '../../agent/src/sip/index.js';
import { rssKiB, scrape, withDaemon } from './daemon-watch.js';
import { bindUdp, optionsPing, seen, type SeenResponse } from './sip-exchange.js';
import { mulberry32 } from './prng.js';
import { mutate } from './sip-mutate.js';
import { sleep } from './until.js';

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
