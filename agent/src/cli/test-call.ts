/**
 * `callvaultctl test-call`: places a SIPREC call at this appliance the way an SBC would (two
 * streams, 440 Hz caller / 1000 Hz agent, µ-law, paced in real time), hangs up, then finds the
 * recording and checks it: right length, right tone in the right channel. The check decrypts
 * the audio in memory through the normal export path, so it is audited like any listen.
 */
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import type { Config } from '../config/index.js';
import { UserError } from '../common/index.js';
import { buildRtpPacket, encodeUlaw } from '../media/index.js';
import { inDialog, inviteFor, newIds, TEST_TONES_HZ, type TestCallParams } from './test-call-offer.js';
import { runStorageCommand } from './run-command.js';

export interface TestCallResult {
  readonly recordingId: string;
  readonly sentMs: number;
  readonly durationMs: number;
  readonly leftHz: number;
  readonly rightHz: number;
  readonly ok: boolean;
}

const SIP_TIMEOUT_MS = 5000;
const FRAME = 160;

class TestCallError extends UserError {
  constructor(message: string) {
    super('CV_ERR_CLI_TEST_CALL', `test call: ${message}`);
  }
}

function statusOf(msg: string): number {
  const m = /^SIP\/2\.0 (\d{3})/.exec(msg);
  return m === null ? 0 : Number(m[1]);
}

function header(msg: string, name: string): string | null {
  const m = new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(msg.split('\r\n\r\n')[0] ?? '');
  return m === null ? null : m[1]!.trim();
}

/** Sends `request` until a final response for `method` arrives (UDP retransmission, RFC 3261 Timer A). */
async function transact(
  sock: Socket,
  request: string,
  method: string,
  to: { host: string; port: number },
): Promise<string> {
  return new Promise((resolve, reject) => {
    let interval = 500;
    const send = (): void => sock.send(request, to.port, to.host);
    let timer = setTimeout(function again() {
      send();
      interval = Math.min(interval * 2, 4000);
      timer = setTimeout(again, interval);
    }, interval);
    const deadline = setTimeout(
      () => finish(new TestCallError(`no final answer to ${method} from ${to.host}:${to.port}`)),
      SIP_TIMEOUT_MS,
    );
    const onMessage = (buf: Buffer): void => {
      const msg = buf.toString('latin1');
      if (!new RegExp(`^CSeq:\\s*\\d+\\s+${method}`, 'im').test(msg)) return;
      if (statusOf(msg) >= 200) finish(null, msg);
    };
    const finish = (err: Error | null, msg?: string): void => {
      clearTimeout(timer);
      clearTimeout(deadline);
      sock.off('message', onMessage);
      if (err !== null) reject(err);
      else resolve(msg!);
    };
    sock.on('message', onMessage);
    send();
  });
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

export async function placeTestCall(config: Config, opts: { seconds: number }): Promise<TestCallResult> {
  const listen = config.sip.udp;
  if (listen === null) throw new TestCallError('sip.udp is off; the test call uses UDP');
  const targetHost = listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host === '::' ? '::1' : listen.host;
  const family = targetHost.includes(':') ? 'udp6' : 'udp4';
  const sip = createSocket(family);
  const rtp = createSocket(family);
  const rtp2 = createSocket(family);
  try {
    sip.bind(0, targetHost);
    rtp.bind(0, targetHost);
    rtp2.bind(0, targetHost);
    await Promise.all([once(sip, 'listening'), once(rtp, 'listening'), once(rtp2, 'listening')]);
    const to = { host: targetHost, port: listen.port };
    const hostForSip = targetHost.includes(':') ? `[${targetHost}]` : targetHost;
    const p: TestCallParams = {
      localHost: targetHost,
      localPort: sip.address().port,
      target: `${hostForSip}:${listen.port}`,
      callerNumber: '+10000000000',
      agent: 'callvault-test',
      service: 'callvault-test',
      rtpPorts: [rtp.address().port, rtp2.address().port],
    };
    const ids = newIds();
    const startedAt = new Date(Date.now() - 1000);
    const answer = await transact(sip, inviteFor(p, ids), 'INVITE', to);
    if (statusOf(answer) !== 200) throw new TestCallError(`the recorder answered ${answer.split('\r\n')[0]}`);
    const toHeader = header(answer, 'To') ?? header(answer, 't') ?? '';
    sip.send(inDialog('ACK', p, ids, toHeader, 1), to.port, to.host);
    const media = answerPorts(answer);
    const sentMs = await sendMedia(rtp, media.host, media.ports, opts.seconds);
    const bye = await transact(sip, inDialog('BYE', p, ids, toHeader, 2), 'BYE', to);
    if (statusOf(bye) !== 200) throw new TestCallError(`BYE answered ${bye.split('\r\n')[0]}`);

    let found: { id: string; durationMs: number } | undefined;
    for (let i = 0; i < 50 && found === undefined; i++) {
      const { result } = await runStorageCommand(config, 'recordings.search', {
        service: 'callvault-test',
        from: startedAt.toISOString(),
      });
      found = (result as { id: string; durationMs: number }[])[0];
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
    sip.close();
    rtp.close();
    rtp2.close();
  }
}
