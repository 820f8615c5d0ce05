/**
 * The one call-session model both ingest paths (SIPREC, passive tap) produce. It knows nothing
 * of SIP, SDP or pcap: the producers map their wire formats into these types, and everything
 * downstream (media, recorder, index) reads only these.
 */

/** Which end of the business relationship a participant is. */
export type ParticipantSide = 'customer' | 'agent' | 'unknown';

/** Who placed the call: the caller dialled the callee. */
export type ParticipantRole = 'caller' | 'callee';

export interface Participant {
  /** Stable within one session: the metadata participant_id, or a synthetic id ('caller'…). */
  readonly id: string;
  readonly name: string | null;
  /** E.164 ('+46…') when the source gave an international number, else the dialable digits; null when unknown or withheld. */
  readonly number: string | null;
  /** The address of record as received ('sip:7300@pbx.example'); null when unknown or withheld. */
  readonly aor: string | null;
  /** Presentation restricted (Privacy: id, anonymous): number, name and aor are then null. */
  readonly withheld: boolean;
  readonly side: ParticipantSide;
  readonly role: ParticipantRole;
}

export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface StreamInfo {
  /** The SDP a=label (RFC 4574) or, when the offer has none, 'm<index>' in m-line order. */
  readonly label: string;
  /** The participant whose voice this stream carries; null when unknown or mixed. */
  readonly participantId: string | null;
  /** True when the stream carries more than one participant (a single mixed stream). */
  readonly mixed: boolean;
  /** Encoding name as in rtpmap, upper case for audio codecs: 'PCMU', 'PCMA', 'G722'. */
  readonly codec: string;
  readonly payloadType: number;
  /** RTP clock rate in Hz (8000 for G.722 too, per RFC 3551). */
  readonly clockRate: number;
  readonly channels: number;
  /** RFC 4733 telephone-event payload type on this stream, null when not negotiated. */
  readonly telephoneEventPayloadType: number | null;
  /** Direction as the sender (SBC) offered it: 'inactive' means paused. */
  readonly direction: MediaDirection;
}

export type CallDirection = 'inbound' | 'outbound' | 'unknown';

/** Consent as signalled by the ingest path (metadata or header); DTMF consent is the recorder's. */
export type ConsentState = 'unknown' | 'given' | 'declined';

/**
 * Conditions downstream must know about. `metadata_error`: the rs-metadata was unusable and the
 * session was built from SDP and headers; `no_metadata`: none was sent; `no_media`: no stream
 * carried RTP. The recorder sets `no_media` and `one_way` (RTP on some streams only) on the
 * recording's record at the end of the call (media/media-totals.ts mediaVerdict).
 */
export type SessionFlag = 'metadata_error' | 'no_metadata' | 'no_media';

export interface AgentIdentity {
  /** Extension or AoR user part: what `users add --agent` binds an account to. */
  readonly id: string | null;
  readonly name: string | null;
}

export interface SessionInfo {
  /** Our id for the session (UUID), unique across ingest paths. */
  readonly id: string;
  /** Opaque correlation id from the ingest path (the recording dialog's Call-ID, a pcap flow id). */
  readonly callId: string;
  /** The communication session's own id when the source reports it (SIPREC sipSessionID). */
  readonly sourceSessionId: string | null;
  readonly direction: CallDirection;
  readonly service: string | null;
  /** The number the caller dialled (DNIS) when known: what the service map is keyed on. */
  readonly dialledNumber: string | null;
  readonly agent: AgentIdentity;
  readonly customerParticipantId: string | null;
  readonly agentParticipantId: string | null;
  readonly participants: readonly Participant[];
  readonly streams: readonly StreamInfo[];
  readonly startedAt: Date;
  /** When the call was answered: recording starts here. Null until the ingest path knows. */
  readonly answeredAt: Date | null;
  readonly caseId: string | null;
  readonly consent: ConsentState;
  readonly flags: readonly SessionFlag[];
}

export type EndReason = 'bye' | 'cancel' | 'rtp_timeout' | 'shutdown' | 'disk_full' | 'error';

/** One RFC 4733 event as media decoded it. */
export interface DtmfEvent {
  /** '0'-'9', '*', '#', 'A'-'D', or 'flash'. */
  readonly digit: string;
  readonly at: Date;
  readonly durationMs: number;
  readonly streamLabel: string | null;
}

/** The fields `Session.update()` may change; identity and timestamps set once are not among them. */
export type SessionPatch = Partial<
  Pick<
    SessionInfo,
    | 'direction'
    | 'service'
    | 'dialledNumber'
    | 'agent'
    | 'customerParticipantId'
    | 'agentParticipantId'
    | 'participants'
    | 'streams'
    | 'answeredAt'
    | 'caseId'
    | 'consent'
    | 'flags'
    | 'sourceSessionId'
  >
>;
