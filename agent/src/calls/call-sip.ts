/**
 * What a call's SIP side says about us and about the offer: whether an INVITE is SIPREC, the
 * address our answers advertise, our Contact, the headers the session reads, what a re-offer
 * does to recording, and the stream list handed to the recorder.
 * Functions of their inputs, kept out of CallManager so it holds only the call lifecycle.
 */
import { networkInterfaces } from 'node:os';
import type { Config } from '../config/index.js';
import { getHeader, type BoundAddress, type SipRequest } from '../sip/index.js';
import type { OfferHeaders, SdpSession } from '../siprec/index.js';
import type { Session } from '../session/index.js';
import type { RecordedStream } from '../recorder/index.js';
import type { PlannedStreams } from './offer-plan.js';

export function isSiprec(req: SipRequest): boolean {
  const tags = [getHeader(req, 'require'), getHeader(req, 'supported')].join(',').toLowerCase();
  return /\bsiprec\b/.test(tags) || /\+sip\.src\b/i.test(getHeader(req, 'contact') ?? '');
}

/**
 * The address put in the answer's c= line: the SIP listen address, or — when SIP listens on
 * every address — the host's first non-internal IPv4, since the SBC must reach it.
 */
export function advertisedAddress(config: Config): string {
  const sip = config.sip;
  const host = sip.udp?.host ?? sip.tcp?.host ?? sip.tls?.host ?? '127.0.0.1';
  if (host !== '0.0.0.0' && host !== '::') return host;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/** Our Contact for a dialog, on the transport the request came over. */
export function contactFor(
  req: SipRequest,
  addresses: readonly BoundAddress[],
  localAddress: string,
): string {
  const transport = req.via[0]?.transport?.toLowerCase() ?? 'udp';
  const a = addresses.find((b) => b.transport === transport) ?? addresses[0];
  const raw = a === undefined || a.host === '0.0.0.0' || a.host === '::' ? localAddress : a.host;
  const host = raw.includes(':') ? `[${raw}]` : raw;
  return `<sip:callvault@${host}:${a?.port ?? 5060};transport=${transport}>`;
}

/** The planned streams as the recorder takes them: each with its side and codec name. */
export function recordedStreams(session: Session, planned: PlannedStreams): RecordedStream[] {
  const info = session.info;
  return planned.allocated.map((a) => {
    const si = info.streams.find((s) => s.label === a.label);
    const participant = si?.participantId
      ? info.participants.find((p) => p.id === si.participantId)
      : undefined;
    return {
      label: a.label,
      side: participant?.side ?? 'unknown',
      codec: a.answered.codecs?.codec.encoding.toUpperCase() ?? 'unknown',
      stream: a.media.stream,
    };
  });
}

/** The INVITE headers sessionInfoFromOffer reads (parties, privacy, direction, consent). */
export function inviteHeaders(req: SipRequest): OfferHeaders {
  const h = (name: string): string | null => getHeader(req, name) ?? null;
  return {
    callId: req.callId,
    from: h('from'),
    to: h('to'),
    pAssertedIdentity: h('p-asserted-identity'),
    privacy: h('privacy'),
    callDirection: h('x-call-direction'),
    consent: h('x-recording-consent'),
  };
}

/**
 * What a re-offer does to recording. SIPREC: a=inactive on every stream pauses recording (RFC 7866
 * §8.1.1). For a plain call, the phone putting the other party on hold sends sendonly/inactive:
 * that is hold.
 */
export function reofferMode(offer: SdpSession, plain: boolean): 'pause' | 'hold' | 'record' {
  const dirs = offer.media.filter((m) => m.port !== 0).map((m) => m.direction);
  if (dirs.length > 0 && dirs.every((d) => d === 'inactive')) return plain ? 'hold' : 'pause';
  if (plain && dirs.every((d) => d === 'sendonly' || d === 'inactive')) return 'hold';
  return 'record';
}
