/**
 * Maps a recording offer (SDP + rs-metadata + a few headers) into the session model. Whatever
 * part is missing or broken, the call is still recorded with what can be known: unusable
 * metadata sets the `metadata_error` flag and the session is built from SDP and headers.
 */
import { randomUUID } from 'node:crypto';
import { CallvaultError, normaliseNumber } from '../common/index.js';
import {
  DEFAULT_SIDE_RULES,
  decideSides,
  resolveService,
  type CallDirection,
  type ConsentState,
  type Participant,
  type ParticipantRole,
  type ParticipantSide,
  type ServiceMap,
  type SessionFlag,
  type SessionInfo,
  type SideDecision,
  type SideRules,
} from '../session/index.js';
import {
  identityOf,
  isAnonymousText,
  isAnonymousUri,
  parseNameAddrs,
  participantsFromHeaders,
  privacyHidesIdentity,
  uriUser,
} from './identity.js';
import { parseRecordingMetadata, type MetadataParticipant, type RecordingMetadata } from './metadata.js';
import { chooseCodecs, DEFAULT_SUPPORTED_CODECS, type CodecChoice, type SdpAnswer } from './sdp-answer.js';
import type { SdpMedia, SdpSession } from './sdp.js';
import { streamInfo } from './offer-streams.js';

/** The header values the mapping reads, as raw header text (the SRS copies them from the request). */
export interface OfferHeaders {
  /** The recording dialog's Call-ID: the session's correlation id. */
  readonly callId: string;
  readonly from?: string | null;
  readonly to?: string | null;
  readonly pAssertedIdentity?: string | null;
  readonly privacy?: string | null;
  /** Vendor direction header (X-Call-Direction: incoming|outgoing …). */
  readonly callDirection?: string | null;
  /** Vendor consent header, for `policy.consent.mode: metadata`. */
  readonly consent?: string | null;
}

export interface OfferInput {
  readonly sdp: SdpSession;
  /** Raw rs-metadata body (parsed here, errors caught), an already parsed one, or null when none was sent. */
  readonly metadata: string | Buffer | RecordingMetadata | null;
  readonly headers: OfferHeaders;
  /** When given, streams are those the answer accepted, with its codecs. */
  readonly answer?: SdpAnswer;
  readonly id?: string;
  /** When the offer arrived: the start time when metadata gives none. Default: now. */
  readonly receivedAt?: Date;
  readonly sideRules?: SideRules;
  readonly serviceMap?: ServiceMap;
  readonly supportedCodecs?: readonly string[];
}

export interface OfferSession {
  readonly info: SessionInfo;
  readonly metadata: RecordingMetadata | null;
  /** Why the metadata was not used (log it); the session is still valid. */
  readonly metadataError: CallvaultError | null;
  readonly sideBasis: SideDecision['basis'];
}

const CALLER_WORDS: ReadonlySet<string> = new Set([
  'calling',
  'caller',
  'originator',
  'orig',
  'from',
  'a',
  'aparty',
  'a-party',
]);
const CALLEE_WORDS: ReadonlySet<string> = new Set([
  'called',
  'callee',
  'terminator',
  'term',
  'to',
  'b',
  'bparty',
  'b-party',
]);

export function sessionInfoFromOffer(input: OfferInput): OfferSession {
  const flags: SessionFlag[] = [];
  let metadata: RecordingMetadata | null = null;
  let metadataError: CallvaultError | null = null;
  if (input.metadata === null) flags.push('no_metadata');
  else if (typeof input.metadata === 'string' || Buffer.isBuffer(input.metadata)) {
    try {
      metadata = parseRecordingMetadata(input.metadata);
    } catch (err) {
      if (!(err instanceof CallvaultError)) throw err;
      metadataError = err;
      flags.push('metadata_error');
    }
  } else metadata = input.metadata;

  const media = usableMedia(input);
  const ext = metadata?.extensions ?? {};
  const usable = metadata !== null && metadata.participants.length > 0 ? metadata : null;
  const participants =
    usable !== null
      ? participantsFromMetadata(usable, media, input.headers)
      : participantsFromHeaders(
          input.headers.from,
          input.headers.to,
          input.headers.pAssertedIdentity,
          input.headers.privacy,
        );
  const streams = media.map(({ media: m, codecs }, i) =>
    streamInfo(m, codecs, i, media.length, participants, usable),
  );

  const direction = parseDirection(
    input.headers.callDirection ?? pick(ext, 'direction', 'calldirection', 'call-direction'),
  );
  const sides = decideSides(participants, direction, input.sideRules ?? DEFAULT_SIDE_RULES);
  const agent = sides.participants.find((p) => p.id === sides.agentParticipantId) ?? null;
  const caller = sides.participants.find((p) => p.role === 'caller') ?? null;
  const callee = sides.participants.find((p) => p.role === 'callee') ?? null;
  // Acme/Oracle put the dialled Request-URI on the calling participant: the DNIS the service map wants.
  const requestUri = caller === null ? null : findExtension(metadata, caller.id, 'request-uri');

  const draft: SessionInfo = {
    id: input.id ?? randomUUID(),
    callId: input.headers.callId,
    sourceSessionId:
      metadata?.sessions
        .find((s) => s.sipSessionId !== null)
        ?.sipSessionId?.split(';')[0]
        ?.trim() ?? null,
    direction: sides.direction,
    service: pick(ext, 'service', 'servicename', 'service-name'),
    // Metadata callee AoRs are often the agent's extension after PBX routing, not what was dialled;
    // only the To header of a call without metadata is the dialled number itself.
    dialledNumber:
      normaliseNumber(uriUser(requestUri)) ??
      normaliseNumber(pick(ext, 'dnis', 'callednumber', 'called-number')) ??
      (usable === null ? (callee?.number ?? null) : null),
    agent: { id: agent === null ? null : (agent.number ?? uriUser(agent.aor)), name: agent?.name ?? null },
    customerParticipantId: sides.customerParticipantId,
    agentParticipantId: sides.agentParticipantId,
    participants: sides.participants,
    streams,
    startedAt: metadata?.startTime ?? input.receivedAt ?? new Date(),
    answeredAt: null,
    caseId: pick(ext, 'caseid', 'case-id', 'case_id'),
    consent: parseConsent(
      input.headers.consent ?? pick(ext, 'consent', 'recording-consent', 'recordingconsent'),
    ),
    flags,
  };
  const info: SessionInfo = { ...draft, service: resolveService(draft, input.serviceMap ?? {}) };
  return { info, metadata, metadataError, sideBasis: sides.basis };
}

function usableMedia(input: OfferInput): { media: SdpMedia; codecs: CodecChoice }[] {
  const out: { media: SdpMedia; codecs: CodecChoice }[] = [];
  for (const m of input.sdp.media) {
    if (input.answer !== undefined) {
      const answered = input.answer.streams[m.index];
      if (answered !== undefined && answered.rejectReason === null && answered.codecs !== null)
        out.push({ media: m, codecs: answered.codecs });
      continue;
    }
    if (m.type !== 'audio' || m.port === 0) continue;
    const codecs = chooseCodecs(m, input.supportedCodecs ?? DEFAULT_SUPPORTED_CODECS);
    if (codecs !== null) out.push({ media: m, codecs });
  }
  return out;
}

function participantsFromMetadata(
  metadata: RecordingMetadata,
  media: readonly { media: SdpMedia }[],
  headers: OfferHeaders,
): Participant[] {
  const explicit = new Map<string, ParticipantRole>();
  const fromHdr = uriUser(parseNameAddrs(metadata.extensions['fromhdr'])[0]?.uri);
  const toHdr = uriUser(parseNameAddrs(metadata.extensions['tohdr'])[0]?.uri);
  for (const p of metadata.participants) {
    const role =
      explicitRole(p) ??
      (fromHdr !== null && uriUser(p.aor) === fromHdr
        ? 'caller'
        : toHdr !== null && uriUser(p.aor) === toHdr
          ? 'callee'
          : null);
    if (role !== null) explicit.set(p.id, role);
  }
  let callerId = [...explicit].find(([, r]) => r === 'caller')?.[0] ?? null;
  if (callerId === null) {
    // Without stated roles, SBCs list the calling side first: its stream is the first m-line and its participant the first element.
    const firstLabel = media[0]?.media.label ?? null;
    const firstStream = metadata.streams.find((s) => s.label !== null && s.label === firstLabel);
    const senders =
      firstStream === undefined ? [] : metadata.participants.filter((p) => p.sends.includes(firstStream.id));
    callerId =
      (senders.length === 1 ? senders[0]?.id : undefined) ??
      metadata.participants.find((p) => explicit.get(p.id) !== 'callee')?.id ??
      null;
  }
  const hideCaller = privacyHidesIdentity(headers.privacy) || fromHeaderAnonymous(headers.from);
  return metadata.participants.map((p) => {
    const role: ParticipantRole = p.id === callerId ? 'caller' : 'callee';
    const identity = identityOf(p.aor, p.name, role === 'caller' && hideCaller);
    return { id: p.id, ...identity, side: explicitSide(p), role };
  });
}

function fromHeaderAnonymous(from: string | null | undefined): boolean {
  const addr = parseNameAddrs(from)[0];
  return addr !== undefined && (isAnonymousUri(addr.uri) || isAnonymousText(addr.displayName));
}

function explicitRole(p: MetadataParticipant): ParticipantRole | null {
  const calling = p.extensions['callingparty']?.toLowerCase();
  if (calling === 'true') return 'caller';
  if (calling === 'false') return 'callee';
  const word = pick(p.extensions, 'role', 'participantrole', 'party')?.toLowerCase() ?? null;
  if (word !== null && CALLER_WORDS.has(word)) return 'caller';
  if (word !== null && CALLEE_WORDS.has(word)) return 'callee';
  return null;
}

function explicitSide(p: MetadataParticipant): ParticipantSide {
  const word =
    pick(p.extensions, 'side', 'role', 'participantrole', 'participant-type', 'type')?.toLowerCase() ?? '';
  if (word === 'agent' || word === 'employee' || word === 'internal') return 'agent';
  if (word === 'customer' || word === 'external') return 'customer';
  return 'unknown';
}

function findExtension(
  metadata: RecordingMetadata | null,
  participantId: string,
  key: string,
): string | null {
  return metadata?.participants.find((p) => p.id === participantId)?.extensions[key] ?? null;
}

function pick(ext: Readonly<Record<string, string>>, ...keys: string[]): string | null {
  for (const k of keys) {
    const v = ext[k]?.trim();
    if (v !== undefined && v !== '') return v;
  }
  return null;
}

export function parseDirection(text: string | null | undefined): CallDirection {
  const t = text?.trim().toLowerCase() ?? '';
  if (['inbound', 'incoming', 'in', 'terminating', 'received'].includes(t)) return 'inbound';
  if (['outbound', 'outgoing', 'out', 'originating', 'placed'].includes(t)) return 'outbound';
  return 'unknown';
}

export function parseConsent(text: string | null | undefined): ConsentState {
  const t = text?.trim().toLowerCase() ?? '';
  if (['given', 'yes', 'true', '1', 'granted', 'accepted', 'opt-in'].includes(t)) return 'given';
  if (['declined', 'no', 'false', '0', 'denied', 'refused', 'opt-out'].includes(t)) return 'declined';
  return 'unknown';
}
