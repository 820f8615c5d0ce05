/**
 * `callvaultctl test-call`: places a SIPREC call at this appliance the way an SBC would (two
 * streams, 440 Hz caller / 1000 Hz agent, µ-law, paced in real time), hangs up, then finds the
 * recording and checks it: right length, right tone in the right channel. The check decrypts
 * the audio in memory through the normal export path, so it is audited like any listen.
 */
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { isIP } from 'node:net';
import type { Config, ListenAddress } from '../config/index.js';
import { buildRtpPacket, encodeUlaw } from '../media/index.js';
import { inDialog, inviteFor, newIds, TEST_TONES_HZ, type TestCallParams } from './test-call-offer.js';
import { runStorageCommand } from './run-command.js';
import { openSipChannel, statusOf, TestCallError, type SipTransport } from './test-call-sip.js';

export { TestCallError };

export interface TestCallOptions {
  readonly seconds: number;
  /** Default: TLS when plain INVITEs are refused, else the first of UDP, TCP, TLS configured. */
  readonly transport?: SipTransport | undefined;
  /** Local address to call from (sip.trusted must admit it); default: the listener's loopback. */
  readonly fromAddress?: string | undefined;
}

export interface TestCallResult {
  readonly recordingId: string;
  readonly sentMs: number;
  readonly durationMs: number;
  readonly leftHz: number;
  readonly rightHz: number;
  readonly ok: boolean;
}

const FRAME = 160;

function header(msg: string, name: string): string | null {
  const m = new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(msg.split('\r\n\r\n')[0] ?? '');
  return m === null ? null : m[1]!.trim();
}

function answerPorts(msg: string): { host: string; ports: number[] } {
  const body = msg.split('\r\n\r\n').slice(1).join('\r\n\r\n');
  const host = /^c=IN IP[46] (\S+)/m.exec(body)?.[1];
  const ports = [...body.matchAll(/^m=audio (\d+) /gm)].map((m) => Number(m[1]));
  if (host === undefined || ports.length !== 2)
    throw new TestCallError('the answer did not offer two audio streams');
  return { host, ports };
}

function tone(freq: number, start: number): Uint8Array {
  const pcm = new Int16Array(FRAME);
  for (let i = 0; i < FRAME; i++)
    pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * freq * (start + i)) / 8000));
  return encodeUlaw(pcm);
}

/** Sends both tones in real time for `seconds`; resolves with the milliseconds of audio sent. */
async function sendMedia(
  sock: Socket,
  host: string,
  ports: readonly number[],
  seconds: number,
): Promise<number> {
  const total = seconds * 50;
  const t0 = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor((performance.now() - t0) / 20) + 1);
    for (; sent < due; sent++) {
      ports.forEach((port, s) => {
        const payload = tone(TEST_TONES_HZ[s]!, sent * FRAME);
        sock.send(
          buildRtpPacket({
            payloadType: 0,
            seq: sent,
            timestamp: sent * FRAME,
            ssrc: 0x7e57 + s,
            payload,
            marker: sent === 0,
          }),
          port,
          host,
        );
      });
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return sent * 20;
}

function goertzelPeak(samples: Int16Array, rate: number): number {
  let best = 0;
  let bestP = -1;
  for (let f = 100; f < rate / 2; f += 10) {
    const k = 2 * Math.cos((2 * Math.PI * f) / rate);
    let s1 = 0;
    let s2 = 0;
    for (const x of samples) {
      const s0 = x + k * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    const p = s1 * s1 + s2 * s2 - k * s1 * s2;
    if (p > bestP) [best, bestP] = [f, p];
  }
  return best;
}

/** Peak frequency of each channel of a PCM16 stereo WAV (the canonical 44-byte header). */
function channelPeaks(wav: Buffer): [number, number] {
  const data = wav.subarray(44);
  const frames = Math.min(Math.floor(data.length / 4), 8000);
  const left = new Int16Array(frames);
  const right = new Int16Array(frames);
  const start = Math.max(0, Math.floor(data.length / 8) - frames / 2);
  for (let i = 0; i < frames; i++) {
    left[i] = data.readInt16LE((start + i) * 4);
    right[i] = data.readInt16LE((start + i) * 4 + 2);
  }
  return [goertzelPeak(left, 8000), goertzelPeak(right, 8000)];
}

function pickTransport(config: Config, wanted: SipTransport | undefined): [SipTransport, ListenAddress] {
  const sip = config.sip;
  const listeners: [SipTransport, ListenAddress | null][] = [
    ['udp', sip.udp],
    ['tcp', sip.tcp],
    ['tls', sip.tls],
  ];
  if (wanted !== undefined) {
    const l = listeners.find(([t]) => t === wanted)![1];
    if (l === null) throw new TestCallError(`sip.${wanted} is off in this configuration`);
    return [wanted, l];
  }
  if (!sip.accept_plain_invite && sip.tls !== null) return ['tls', sip.tls];
  const first = listeners.find(([, l]) => l !== null);
  if (first === undefined)
    throw new TestCallError('no SIP listener is configured (sip.udp, sip.tcp, sip.tls)');
  return [first[0], first[1]!];
}

/** What a refusal means on this configuration, and what to change. */
function explainRefusal(config: Config, status: string, from: string, transport: SipTransport): string {
  const code = statusOf(status);
  if (code === 403)
    return (
      `the recorder refused the call (${status}): this test call came from ${from}, which sip.trusted ` +
      `(${config.sip.trusted.join(', ') || 'empty'}) does not admit. Add "${from}" to sip.trusted, ` +
      'or call from an address it admits with --from-address ADDR'
    );
  if (transport !== 'tls' && !config.sip.accept_plain_invite)
    return `the recorder answered ${status}: sip.accept_plain_invite is false, so use --transport tls`;
  return `the recorder answered ${status}`;
}

export async function placeTestCall(config: Config, opts: TestCallOptions): Promise<TestCallResult> {
  const [transport, listen] = pickTransport(config, opts.transport);
  const loopback = listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host === '::' ? '::1' : listen.host;
  const targetHost = loopback;
  const from = opts.fromAddress ?? targetHost;
  if (isIP(from) === 0) throw new TestCallError(`--from-address must be an IP address, got ${from}`);
  const family = from.includes(':') ? 'udp6' : 'udp4';
  const rtp = createSocket(family);
  const rtp2 = createSocket(family);
  let sip: Awaited<ReturnType<typeof openSipChannel>> | undefined;
  try {
    rtp.bind(0, from);
    rtp2.bind(0, from);
    await Promise.all([once(rtp, 'listening'), once(rtp2, 'listening')]);
    const to = { host: targetHost, port: listen.port };
    sip = await openSipChannel(transport, from, to, config.sip.tls_cert);
    const hostForSip = targetHost.includes(':') ? `[${targetHost}]` : targetHost;
    const p: TestCallParams = {
      localHost: from,
      localPort: sip.localPort,
      target: `${hostForSip}:${listen.port}`,
      callerNumber: '+10000000000',
      agent: 'callvault-test',
      service: 'callvault-test',
      rtpPorts: [rtp.address().port, rtp2.address().port],
      transport: transport.toUpperCase() as TestCallParams['transport'],
    };
    const ids = newIds();
    const startedAt = new Date(Date.now() - 1000);
    const answer = await sip.transact(inviteFor(p, ids), 'INVITE');
    if (statusOf(answer) !== 200)
      throw new TestCallError(explainRefusal(config, answer.split('\r\n')[0] ?? '', from, transport));
    const toHeader = header(answer, 'To') ?? header(answer, 't') ?? '';
    sip.send(inDialog('ACK', p, ids, toHeader, 1));
    const media = answerPorts(answer);
    const sentMs = await sendMedia(rtp, media.host, media.ports, opts.seconds);
    const bye = await sip.transact(inDialog('BYE', p, ids, toHeader, 2), 'BYE');
    if (statusOf(bye) !== 200) throw new TestCallError(`BYE answered ${bye.split('\r\n')[0]}`);

    let found: { id: string; durationMs: number } | undefined;
    for (let i = 0; i < 50 && found === undefined; i++) {
      const { result } = await runStorageCommand(config, 'recordings.search', {
        service: 'callvault-test',
        from: startedAt.toISOString(),
      });
      found = result[0];
      if (found === undefined) await new Promise((r) => setTimeout(r, 200));
    }
    if (found === undefined)
      throw new TestCallError('the call was answered but no recording appeared within 10 s');
    const chunks: Buffer[] = [];
    await runStorageCommand(
      config,
      'export',
      { id: found.id, reason: 'callvaultctl test-call self-check' },
      { onDownload: (c) => void chunks.push(c) },
    );
    const [leftHz, rightHz] = channelPeaks(Buffer.concat(chunks));
    const ok =
      Math.abs(found.durationMs - sentMs) <= 500 &&
      Math.abs(leftHz - TEST_TONES_HZ[0]) <= 20 &&
      Math.abs(rightHz - TEST_TONES_HZ[1]) <= 20;
    return { recordingId: found.id, sentMs, durationMs: found.durationMs, leftHz, rightHz, ok };
  } finally {
    sip?.close();
    rtp.close();
    rtp2.close();
  }
}
