/**
 * The peer: rtpengine (Debian package rtpengine-daemon) in userspace only (`table = -1`), in
 * record-only mode: each call is set up with ng `offer`/`answer` carrying `record call: yes`,
 * then `block media` for both parties so nothing is forwarded, and it writes raw pcap files
 * (`recording-method = pcap`, this kernel cannot load its module). Everything on 127.0.0.1.
 */
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { bdecode, bencode, type BValue } from './bencode.js';
import { LoadBenchError, BENCH_CLOSED, BENCH_NG_FAILED } from './errors.js';
import { ADDRESS_IN_USE, BIND_TRIES, spawnOnFreePort } from '../../../test/helpers/spawn-on-free-port.js';
import { runToEnd, startPinned, stopPinned, type Pinned } from './procs.js';

export const RTPENGINE_BIN = '/usr/bin/rtpengine';

export interface RtpengineOptions {
  readonly core: number | null;
  readonly ngPort: number;
  readonly portMin: number;
  readonly portMax: number;
  readonly recordingDir: string;
}

export function rtpengineAvailable(): boolean {
  return existsSync(RTPENGINE_BIN);
}

export function startRtpengine(o: RtpengineOptions): Pinned {
  return startPinned(o.core, RTPENGINE_BIN, [
    '--foreground',
    '--log-stderr',
    '--log-level=4',
    '--table=-1',
    '--interface=127.0.0.1',
    `--listen-ng=127.0.0.1:${o.ngPort}`,
    `--port-min=${o.portMin}`,
    `--port-max=${o.portMax}`,
    '--recording-method=pcap',
    '--recording-format=raw',
    `--recording-dir=${o.recordingDir}`,
    // One media thread: the daemon under test is single-threaded on the same core.
    '--num-threads=1',
    '--delete-delay=0',
    '--timeout=600',
  ]);
}

/** rtpengine answering ng pings, and the client that asked. */
export interface ReadyRtpengine {
  readonly proc: Pinned;
  readonly ng: NgClient;
}

/**
 * Starts rtpengine on an ng port of its own and resolves once it answers ng `ping`. It must be
 * told the port (--listen-ng): when it exits because another process took that one first
 * ("Address already in use"), it is started again on a fresh one (spawnOnFreePort).
 * `started` sees each process and client as soon as they exist, so the caller's finally can
 * stop them.
 */
export async function startRtpengineReady(
  o: Omit<RtpengineOptions, 'ngPort'>,
  started: (p: Pinned | null, ng: NgClient | null) => void,
): Promise<ReadyRtpengine> {
  const up = await spawnOnFreePort(
    1,
    async ([ngPort]): Promise<ReadyRtpengine | null> => {
      const p = startRtpengine({ ...o, ngPort: ngPort! });
      started(p, null);
      const ng = await NgClient.open(ngPort!);
      started(p, ng);
      try {
        await ng.waitReady(15_000, () => p.child.exitCode === null);
        return { proc: p, ng };
      } catch (err) {
        await ng.close();
        await stopPinned(p, 'SIGKILL', 5000);
        started(null, null);
        if (ADDRESS_IN_USE.test((await runToEnd(p, 1000)).output)) return null;
        throw err;
      }
    },
    (r) => r === null,
  );
  if (up === null)
    throw new LoadBenchError(BENCH_NG_FAILED, `rtpengine found its ng port taken ${BIND_TRIES} times`);
  return up;
}

type Dict = { readonly [key: string]: BValue };

/** ng client over UDP: "<cookie> <bencoded dict>" per request, replies matched by cookie. */
export class NgClient {
  readonly #socket: Socket;
  readonly #port: number;
  readonly #waiting = new Map<string, (d: Dict | null) => void>();
  #closed = false;

  private constructor(socket: Socket, port: number) {
    this.#socket = socket;
    this.#port = port;
    socket.on('message', (msg) => {
      const sp = msg.indexOf(0x20);
      if (sp < 0) return;
      const done = this.#waiting.get(msg.toString('latin1', 0, sp));
      if (done === undefined) return;
      try {
        const v = bdecode(msg.subarray(sp + 1));
        done(typeof v === 'object' && !Array.isArray(v) ? (v as Dict) : null);
      } catch {
        done(null);
      }
    });
  }

  static async open(ngPort: number): Promise<NgClient> {
    const socket = createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    return new NgClient(socket, ngPort);
  }

  /** Sends one command, resending every 1 s, and resolves with the reply (bounded by timeoutMs). */
  async command(cmd: Dict, timeoutMs = 5000): Promise<Dict> {
    if (this.#closed) throw new LoadBenchError(BENCH_CLOSED, 'ng client is closed');
    const cookie = randomBytes(6).toString('hex');
    const packet = Buffer.concat([Buffer.from(`${cookie} `), bencode(cmd)]);
    const reply = await new Promise<Dict | null>((resolve) => {
      const send = (): void => this.#socket.send(packet, this.#port, '127.0.0.1');
      const resend = setInterval(send, 1000);
      const timer = setTimeout(() => finish(null), timeoutMs);
      const finish = (d: Dict | null): void => {
        clearInterval(resend);
        clearTimeout(timer);
        this.#waiting.delete(cookie);
        resolve(d);
      };
      this.#waiting.set(cookie, finish);
      send();
    });
    if (reply === null)
      throw new LoadBenchError(BENCH_NG_FAILED, 'no ng reply', {
        context: { command: String(cmd['command']) },
      });
    if (reply['result'] !== 'ok' && reply['result'] !== 'pong')
      throw new LoadBenchError(BENCH_NG_FAILED, 'ng command failed', {
        context: {
          command: String(cmd['command']),
          reason: String(reply['error-reason'] ?? reply['result']),
        },
      });
    return reply;
  }

  /** Pings until rtpengine answers (bounded). */
  async waitReady(timeoutMs: number, alive: () => boolean): Promise<void> {
    const endBy = Date.now() + timeoutMs;
    for (;;) {
      if (!alive()) throw new LoadBenchError(BENCH_NG_FAILED, 'rtpengine exited');
      try {
        await this.command({ command: 'ping' }, 500);
        return;
      } catch (err) {
        if (Date.now() > endBy) throw err;
      }
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const done of [...this.#waiting.values()]) done(null);
    this.#socket.close();
    await once(this.#socket, 'close');
  }
}

function sdp(port: number, id: number): string {
  return [
    'v=0',
    `o=bench ${id} 1 IN IP4 127.0.0.1`,
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/AVP 0`,
    'a=rtpmap:0 PCMU/8000',
    'a=sendrecv',
    '',
  ].join('\r\n');
}

function mediaPort(sdpText: BValue | undefined): number {
  const m = typeof sdpText === 'string' ? /^m=audio (\d+) /m.exec(sdpText) : null;
  if (m === null) throw new LoadBenchError(BENCH_NG_FAILED, 'ng reply without an audio port');
  return Number(m[1]);
}

export interface RtpengineCall {
  readonly index: number;
  readonly callId: string;
  /** [where the caller sends (label 1), where the callee sends (label 2)]. */
  readonly ports: readonly number[];
}

/**
 * One record-only call: offer (caller) + answer (callee), both with `record call`, then
 * `block media` for each party. The SDP ports are never listened on: with media blocked,
 * rtpengine sends nothing to them.
 */
export async function rtpengineCall(ng: NgClient, index: number): Promise<RtpengineCall> {
  const callId = `rtpe-${index}-${randomBytes(4).toString('hex')}`;
  const fromTag = `a${index}`;
  const toTag = `b${index}`;
  // The discard port: rtpengine never sends to it while media is blocked.
  const dummy = 9;
  const offer = await ng.command({
    command: 'offer',
    'call-id': callId,
    'from-tag': fromTag,
    sdp: sdp(dummy, index),
    'record call': 'yes',
    flags: ['trust-address'],
    replace: ['origin', 'session-connection'],
  });
  const answer = await ng.command({
    command: 'answer',
    'call-id': callId,
    'from-tag': fromTag,
    'to-tag': toTag,
    sdp: sdp(dummy, index),
    'record call': 'yes',
    flags: ['trust-address'],
    replace: ['origin', 'session-connection'],
  });
  for (const tag of [fromTag, toTag])
    await ng.command({ command: 'block media', 'call-id': callId, 'from-tag': tag });
  return { index, callId, ports: [mediaPort(answer['sdp']), mediaPort(offer['sdp'])] };
}

/** Bytes of every pcap file under dir, and the packets they hold (raw format: fixed size per packet). */
export function pcapTotals(
  dir: string,
  packetBytes: number,
): { files: number; bytes: number; packets: number } {
  let files = 0;
  let bytes = 0;
  let packets = 0;
  const walk = (d: string, depth: number): void => {
    if (depth > 4 || !existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p, depth + 1);
      else if (e.name.endsWith('.pcap')) {
        const size = statSync(p).size;
        files++;
        bytes += size;
        // 24-byte global header, then a 16-byte record header per packet.
        packets += Math.max(0, Math.floor((size - 24) / (16 + packetBytes)));
      }
    }
  };
  walk(dir, 0);
  return { files, bytes, packets };
}
