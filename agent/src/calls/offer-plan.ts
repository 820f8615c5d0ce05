/**
 * Turning a SIPREC (or plain) offer into media streams and an SDP answer. answerFor() wants
 * its ports synchronously, but binding sockets is async, so the answer is planned twice: once
 * with placeholder ports to learn which streams we take and with which codecs, then — after
 * the receiver bound real ports — for real. Both passes see the same offer, so they agree.
 */
import { answerFor, type AnsweredStream, type SdpAnswer, type SdpSession } from '../siprec/index.js';
import type { AllocatedStream, CodecName, MediaReceiver } from '../media/index.js';

const CODEC_NAMES: ReadonlySet<string> = new Set(['PCMU', 'PCMA', 'G722', 'CN', 'telephone-event']);

export interface PlannedStreams {
  readonly answer: SdpAnswer;
  readonly allocated: readonly {
    readonly label: string;
    readonly answered: AnsweredStream;
    readonly media: AllocatedStream;
  }[];
  readonly sampleRate: 8000 | 16000;
}

function payloadMap(s: AnsweredStream): Map<number, CodecName> {
  const map = new Map<number, CodecName>();
  for (const c of [
    ...(s.codecs?.audio ?? []),
    ...(s.codecs?.telephoneEvent ? [s.codecs.telephoneEvent] : []),
  ]) {
    const name =
      c.encoding.toUpperCase() === 'TELEPHONE-EVENT' ? 'telephone-event' : c.encoding.toUpperCase();
    if (CODEC_NAMES.has(name)) map.set(c.payloadType, name as CodecName);
  }
  map.set(13, 'CN');
  return map;
}

export function streamLabel(s: AnsweredStream): string {
  return s.label ?? `m${s.index}`;
}

/** Throws NoUsableStreamError (→ 488) before binding anything when no stream is usable. */
export async function planStreams(
  offer: SdpSession,
  receiver: MediaReceiver,
  opts: {
    localAddress: string;
    jitterBufferMs: number;
    previous?: PlannedStreams;
    originMs: number;
    /** SIP Call-ID, carried by every media log line of the call. */
    callId?: string;
  },
): Promise<PlannedStreams> {
  const dry = answerFor(offer, {
    allocatePorts: (n) => Array.from({ length: n }, (_, i) => 2 * (i + 1)),
    localAddress: opts.localAddress,
    ...(opts.previous ? { previous: opts.previous.answer } : {}),
  });
  const accepted = dry.streams.filter((s) => s.port !== 0);
  const sampleRate: 8000 | 16000 = accepted.some((s) => s.codecs?.codec.encoding.toUpperCase() === 'G722')
    ? 16000
    : 8000;
  const reuse = new Map((opts.previous?.allocated ?? []).map((a) => [a.label, a]));
  const fresh: AllocatedStream[] = [];
  const media: AllocatedStream[] = [];
  try {
    for (const s of accepted) {
      const kept = reuse.get(streamLabel(s));
      if (kept !== undefined) {
        media.push(kept.media);
        continue;
      }
      const a = await receiver.allocate(streamLabel(s), {
        payloadTypes: payloadMap(s),
        sampleRate,
        originMs: opts.originMs,
        jitterBufferMs: opts.jitterBufferMs,
        ...(opts.callId !== undefined ? { callId: opts.callId } : {}),
      });
      fresh.push(a);
      media.push(a);
    }
    // Ports are handed out in the order answerFor asks for them: new streams in m-line order.
    const newPorts = fresh.map((a) => a.rtpPort);
    let next = 0;
    const answer = answerFor(offer, {
      allocatePorts: (n) => newPorts.slice(next, (next += n)),
      localAddress: opts.localAddress,
      sessionId: opts.previous?.answer.sessionId ?? dry.sessionId,
      ...(opts.previous ? { previous: opts.previous.answer } : {}),
    });
    const byPort = new Map(media.map((m) => [m.rtpPort, m]));
    const allocated = answer.streams
      .filter((s) => s.port !== 0)
      .map((s) => ({ label: streamLabel(s), answered: s, media: byPort.get(s.port)! }))
      .filter((a) => a.media !== undefined);
    return { answer, allocated, sampleRate };
  } catch (err) {
    for (const a of fresh) await receiver.release(a.stream);
    throw err;
  }
}
