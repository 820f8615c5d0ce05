/**
 * The fake SBC's offers: what a test asks for (streams with codecs and tones, parties,
 * direction, service) turned into SDP and rs-metadata by agent/src/sbc, the builder
 * `callvaultctl test-call` and the load bench use too.
 */
import {
  buildMetadata as sbcMetadata,
  buildSdp,
  siprecBody,
  METADATA_TYPE,
  type AudioCodec,
  type MediaDirection,
  type MessageBody,
} from '../../agent/src/sbc/index.js';
import { HOST, rand } from './wire.js';

export {
  parseAnswer,
  PAYLOAD_TYPE,
  TELEPHONE_EVENT_PT,
  type Answer,
  type AnsweredStream,
  type AudioCodec,
  type MediaDirection,
} from '../../agent/src/sbc/index.js';

export interface StreamSpec {
  readonly label: string;
  /** The codec RTP is sent with; offered first. */
  readonly codec: AudioCodec;
  /** Also offered, after `codec`. */
  readonly alsoOffer?: readonly AudioCodec[];
  readonly toneHz: number;
  /** Offer telephone-event/8000 as PT 101. Default true. */
  readonly telephoneEvent?: boolean;
}

export interface PartySpec {
  readonly name: string | null;
  readonly aor: string;
}

export interface OfferSpec {
  readonly streams: readonly StreamSpec[];
  readonly caller?: PartySpec;
  readonly callee?: PartySpec;
  readonly direction?: 'inbound' | 'outbound' | null;
  readonly service?: string | null;
  /** Raw rs-metadata to send instead of the generated one; null sends SDP only. */
  readonly metadata?: string | null;
  /** `application/rs-metadata+xml` (default) or the pre-RFC `application/rs-metadata`. */
  readonly metadataType?: string;
  /** Plain INVITE (no Require: siprec, no +sip.src, sendrecv, no metadata). */
  readonly plain?: boolean;
  readonly extraHeaders?: readonly string[];
  /** Sent as the INVITE body instead of the SDP (+ metadata) built from the offer. */
  readonly rawBody?: { readonly type: string; readonly body: string };
}

export const CALLER: PartySpec = { name: 'Kalle Kund', aor: 'sip:+46701234567@sbc.operator.example' };
export const AGENT: PartySpec = { name: 'Anna Agent', aor: 'sip:1001@pbx.operator.example' };

/**
 * The call most tests place: customer `number` (the caller, 440 Hz) phones AGENT (1000 Hz),
 * inbound to `service`, both streams in `codec`.
 */
export function customerCall(number: string, service: string, codec: AudioCodec = 'PCMU'): OfferSpec {
  return {
    streams: [
      { label: 'caller', codec, toneHz: 440 },
      { label: 'agent', codec, toneHz: 1000 },
    ],
    caller: { name: 'Kalle Kund', aor: `sip:${number}@sbc.operator.example` },
    callee: AGENT,
    direction: 'inbound',
    service,
  };
}

/** RFC 7865 metadata for `o`: stream 0 is sent by the caller, the others by the callee. */
export function buildMetadata(o: OfferSpec): string {
  return sbcMetadata({
    caller: o.caller ?? CALLER,
    callee: o.callee ?? AGENT,
    labels: o.streams.map((s) => s.label),
    direction: o.direction ?? null,
    service: o.service ?? null,
  });
}

/**
 * The INVITE (or re-INVITE) body for `o` with stream i on local RTP port `ports[i]`: SDP alone
 * for a plain INVITE or `metadata: null`, else SDP + metadata (`metadata` given, or generated).
 */
export function offerBody(
  o: OfferSpec,
  ports: readonly number[],
  direction: MediaDirection,
  version: number,
  metadata: string | null | undefined,
): MessageBody {
  const plain = o.plain === true;
  const sdp = buildSdp({
    host: HOST,
    streams: o.streams.map((s, i) => ({
      label: plain ? null : s.label,
      port: ports[i]!,
      codecs: [s.codec, ...(s.alsoOffer ?? [])],
      telephoneEvent: s.telephoneEvent ?? true,
    })),
    direction: plain && direction === 'sendonly' ? 'sendrecv' : direction,
    version,
  });
  if (plain || metadata === null) return { type: 'application/sdp', body: sdp };
  return siprecBody(sdp, metadata ?? buildMetadata(o), `cv-${rand(6)}`, o.metadataType ?? METADATA_TYPE);
}
