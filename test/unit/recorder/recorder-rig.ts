/**
 * Shared parts of the recorder suites (call-recorder*.test.ts): the session a call starts from,
 * the tones each side sends, and the RTP of a call played packet by packet on an injected clock
 * (each packet waited for, bounded, before the clock moves on).
 */
import type { Socket } from 'node:dgram';
import { randomUUID } from 'node:crypto';
import type { Storage } from '../../../agent/src/storage/index.js';
import {
  buildRtpPacket,
  encodeUlaw,
  buildTelephoneEventPayload,
  type MediaReceiver,
  type RtpStream,
} from '../../../agent/src/media/index.js';
import type { SessionInfo } from '../../../agent/src/session/index.js';
import { readWav } from '../../helpers/audio.js';
import { until } from '../../helpers/until.js';

export const T0 = 1_800_000_000_000;

export function sessionInfo(over: Partial<SessionInfo> = {}): SessionInfo {
  return {
    id: randomUUID(),
    callId: 'call-1@sbc',
    sourceSessionId: null,
    direction: 'inbound',
    service: 'support',
    dialledNumber: null,
    agent: { id: '1001', name: 'Anna Agent' },
    customerParticipantId: 'caller',
    agentParticipantId: 'callee',
    participants: [
      {
        id: 'caller',
        name: 'Carl Customer',
        number: '+46701234567',
        aor: 'sip:+46701234567@sbc',
        withheld: false,
        side: 'customer',
        role: 'caller',
      },
      {
        id: 'callee',
        name: 'Anna Agent',
        number: null,
        aor: 'sip:1001@pbx',
        withheld: false,
        side: 'agent',
        role: 'callee',
      },
    ],
    streams: [],
    startedAt: new Date(T0),
    answeredAt: new Date(T0),
    caseId: null,
    consent: 'unknown',
    flags: [],
    ...over,
  };
}

export function tone(freq: number, startSample: number, n: number): Int16Array {
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++)
    out[i] = Math.round(10000 * Math.sin((2 * Math.PI * freq * (startSample + i)) / 8000));
  return out;
}

/** The two streams of a call: the customer's (left) and the agent's (right). */
export interface CallStreams {
  left: RtpStream;
  right: RtpStream;
  leftPort: number;
  rightPort: number;
}

export interface PlayOptions {
  lossEvery?: number;
  holdFrom?: number;
  holdTo?: number;
  dtmf?: { atPacket: number; event: number };
}

export async function allocateCall(receiver: MediaReceiver): Promise<CallStreams> {
  const a = await receiver.allocate('customer', { originMs: T0, sampleRate: 8000 });
  const b = await receiver.allocate('agent', { originMs: T0, sampleRate: 8000 });
  return { left: a.stream, right: b.stream, leftPort: a.rtpPort, rightPort: b.rtpPort };
}

/**
 * Sends `seconds` of a call (440 Hz left, 1000 Hz right, 20 ms packets), setting the clock to
 * each packet's time, and leaves it 200 ms past the last.
 */
export async function playRtp(
  sender: Socket,
  c: CallStreams,
  seconds: number,
  opts: PlayOptions = {},
  setNow: (ms: number) => void,
): Promise<void> {
  const packets = seconds * 50;
  let sentLeft = 0;
  let sentRight = 0;
  let leftSeq = 0;
  let rightSeq = 0;
  for (let i = 0; i < packets; i++) {
    setNow(T0 + i * 20);
    const held = opts.holdFrom !== undefined && i >= opts.holdFrom && i < opts.holdTo!;
    if (held) continue;
    const lost = opts.lossEvery !== undefined && i % opts.lossEvery === 7;
    const audio = (seq: number, freq: number, ssrc: number): Buffer =>
      buildRtpPacket({
        payloadType: 0,
        seq,
        timestamp: i * 160,
        ssrc,
        payload: encodeUlaw(tone(freq, i * 160, 160)),
      });
    const inDtmf = opts.dtmf !== undefined && i >= opts.dtmf.atPacket && i < opts.dtmf.atPacket + 5;
    if (inDtmf) {
      // RFC 4733: events replace the audio packets of that time, in the same SSRC and seq space.
      const d = opts.dtmf!;
      const end = i === d.atPacket + 4;
      const payload = buildTelephoneEventPayload(d.event, end, 10, (i - d.atPacket + 1) * 160);
      sender.send(
        buildRtpPacket({
          payloadType: 101,
          seq: leftSeq++,
          timestamp: d.atPacket * 160,
          ssrc: 0x1111,
          payload,
          marker: i === d.atPacket,
        }),
        c.leftPort,
        '127.0.0.1',
      );
      sentLeft++;
    } else if (!lost) {
      sender.send(audio(leftSeq++, 440, 0x1111), c.leftPort, '127.0.0.1');
      sentLeft++;
    } else {
      leftSeq++;
    }
    sender.send(audio(rightSeq++, 1000, 0x2222), c.rightPort, '127.0.0.1');
    sentRight++;
    await until(
      () => c.left.stats().packets >= sentLeft && c.right.stats().packets >= sentRight,
      `packet ${i}`,
    );
  }
  setNow(T0 + packets * 20 + 200);
}

export async function exportWavOf(storage: Storage, id: string): Promise<ReturnType<typeof readWav>> {
  const reader = await storage.vault.openReader(id);
  return readWav(await reader.readAll());
}
