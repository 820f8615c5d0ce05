/**
 * The torture probe (run inside the namespace by callInNetns): the RFC 4475/5118 messages once
 * over TCP and once over UDP against a daemon it starts, and every response that came back.
 */
import type { Socket as UdpSocket } from 'node:dgram';
import { rssKiB, scrape, withDaemon } from './daemon-watch.js';
import {
  ackFor,
  bindUdp,
  optionsPing,
  rawCallId,
  seen,
  tcpExchange,
  type SeenResponse,
} from './sip-exchange.js';
import { sleep } from './until.js';

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
