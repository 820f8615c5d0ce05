/**
 * The SRS's SDP answer (RFC 7866 §8.1.2, RFC 3264): one m-line per offered stream in the same
 * order, a=recvonly, labels echoed, only codecs we decode; a stream we cannot take gets port 0,
 * and an offer with no usable stream is refused (NoUsableStreamError → 488).
 */
import type { MediaDirection } from '../session/index.js';
import { NoUsableStreamError, PortAllocationError } from './errors.js';
import type { SdpCrypto, SdpMedia, SdpRtpMap, SdpSession } from './sdp.js';

/** What media/ decodes today (issue 4); Opus joins in its own issue. */
export const DEFAULT_SUPPORTED_CODECS: readonly string[] = Object.freeze([
  'PCMU',
  'PCMA',
  'G722',
  'telephone-event',
]);

/** Narrowband and G.722 codecs are only valid at the RFC 3551 rate and mono. */
const FIXED_RATE_CODECS: ReadonlyMap<string, number> = new Map([
  ['PCMU', 8000],
  ['PCMA', 8000],
  ['G722', 8000],
]);
const TELEPHONE_EVENT = 'TELEPHONE-EVENT';

export interface CodecChoice {
  /** The first offered codec we decode: what StreamInfo reports. */
  readonly codec: SdpRtpMap;
  /** Every offered audio codec we decode, in offer order: the sender may switch among them. */
  readonly audio: readonly SdpRtpMap[];
  readonly telephoneEvent: SdpRtpMap | null;
}

/** Null when the stream offers no audio codec we decode (telephone-event alone is not audio). */
export function chooseCodecs(
  media: SdpMedia,
  supportedCodecs: readonly string[] = DEFAULT_SUPPORTED_CODECS,
): CodecChoice | null {
  const supported = new Set(supportedCodecs.map((c) => c.toUpperCase()));
  const audio = media.rtpmaps.filter((m) => {
    const name = m.encoding.toUpperCase();
    if (name === TELEPHONE_EVENT || !supported.has(name)) return false;
    const rate = FIXED_RATE_CODECS.get(name);
    return rate === undefined || (m.clockRate === rate && m.channels === 1);
  });
  const codec = audio[0];
  if (codec === undefined) return null;
  const telephoneEvent = supported.has(TELEPHONE_EVENT)
    ? (media.rtpmaps.find(
        (m) => m.encoding.toUpperCase() === TELEPHONE_EVENT && m.clockRate === codec.clockRate,
      ) ?? null)
    : null;
  return { codec, audio, telephoneEvent };
}

export type StreamRejectReason =
  'no_common_codec' | 'unsupported_transport' | 'not_audio' | 'disabled_by_offer';

export interface AnsweredStream {
  readonly index: number;
  readonly label: string | null;
  /** Our RTP port (RTCP on port + 1); 0 when rejected. */
  readonly port: number;
  readonly rejectReason: StreamRejectReason | null;
  readonly codecs: CodecChoice | null;
  readonly offeredDirection: MediaDirection;
  /** recvonly, or inactive when the offer is inactive/recvonly (we never send). */
  readonly direction: MediaDirection;
  /** SDES keys when the stream is SRTP: the sender's (to decrypt) and ours (echoed in the answer). */
  readonly crypto: { readonly offered: SdpCrypto; readonly answered: SdpCrypto } | null;
}

export interface SdpAnswer {
  readonly sdp: string;
  readonly sessionId: string;
  readonly sessionVersion: string;
  readonly streams: readonly AnsweredStream[];
  /** Ports the previous answer held that this one no longer uses: the caller frees them. */
  readonly releasedPorts: readonly number[];
}

export interface SrtpAnswerer {
  /** Crypto suites media/ can decrypt, in preference order, e.g. 'AES_CM_128_HMAC_SHA1_80'. */
  readonly suites: readonly string[];
  /** Our own key for a suite: 'inline:<base64 key||salt>'. */
  readonly keyParamsFor: (suite: string) => string;
}

export interface AnswerOptions {
  /** Returns `count` distinct even RTP ports (RTCP = port + 1); may throw when the range is exhausted. */
  readonly allocatePorts: (count: number) => readonly number[];
  /** The address the SBC sends RTP to (c= of the answer). */
  readonly localAddress: string;
  readonly supportedCodecs?: readonly string[];
  /** The answer to the previous offer in this dialog: same-label streams keep their ports. */
  readonly previous?: SdpAnswer;
  /** o= session id for a new dialog; default a random 48-bit number. */
  readonly sessionId?: string;
  /** Without it, RTP/SAVP streams are rejected. */
  readonly srtp?: SrtpAnswerer;
}

interface Planned {
  media: SdpMedia;
  reject: StreamRejectReason | null;
  codecs: CodecChoice | null;
  crypto: AnsweredStream['crypto'];
  port: number | null;
}

export function answerFor(offer: SdpSession, options: AnswerOptions): SdpAnswer {
  const supported = options.supportedCodecs ?? DEFAULT_SUPPORTED_CODECS;
  const plans: Planned[] = offer.media.map((media) => plan(media, supported, options.srtp));
  if (plans.every((p) => p.reject !== null)) {
    const reasons = [...new Set(plans.map((p) => p.reject))].join(',');
    throw new NoUsableStreamError(`no usable stream in offer (${reasons || 'no m-lines'})`, {
      context: { streams: plans.length, reasons },
    });
  }

  const previous = options.previous?.streams ?? [];
  const kept = new Set<number>();
  for (const p of plans) {
    if (p.reject !== null) continue;
    const before = previous.find((s) =>
      p.media.label !== null ? s.label === p.media.label : s.label === null && s.index === p.media.index,
    );
    if (before !== undefined && before.port > 0 && !kept.has(before.port)) {
      p.port = before.port;
      kept.add(before.port);
    }
  }
  const needing = plans.filter((p) => p.reject === null && p.port === null);
  if (needing.length > 0) {
    const ports = options.allocatePorts(needing.length);
    if (
      ports.length !== needing.length ||
      ports.some((port) => !Number.isInteger(port) || port <= 0 || port > 65535)
    ) {
      throw new PortAllocationError(
        `port allocator returned ${ports.length} ports for ${needing.length} streams`,
        {
          context: { wanted: needing.length, got: ports.length },
        },
      );
    }
    needing.forEach((p, i) => (p.port = ports[i] ?? 0));
  }

  const streams: AnsweredStream[] = plans.map((p) => ({
    index: p.media.index,
    label: p.media.label,
    port: p.reject === null ? (p.port ?? 0) : 0,
    rejectReason: p.reject,
    codecs: p.codecs,
    offeredDirection: p.media.direction,
    direction: p.media.direction === 'inactive' || p.media.direction === 'recvonly' ? 'inactive' : 'recvonly',
    crypto: p.crypto,
  }));
  const sessionId =
    options.previous?.sessionId ?? options.sessionId ?? String(Math.floor(Math.random() * 2 ** 48));
  const sessionVersion =
    options.previous === undefined ? '1' : (BigInt(options.previous.sessionVersion) + 1n).toString();
  const used = new Set(streams.map((s) => s.port));
  const releasedPorts = previous.map((s) => s.port).filter((port) => port > 0 && !used.has(port));
  return {
    sdp: serialise(offer, streams, options.localAddress, sessionId, sessionVersion),
    sessionId,
    sessionVersion,
    streams,
    releasedPorts,
  };
}

function plan(media: SdpMedia, supported: readonly string[], srtp: SrtpAnswerer | undefined): Planned {
  const rejected = (reject: StreamRejectReason): Planned => ({
    media,
    reject,
    codecs: null,
    crypto: null,
    port: null,
  });
  if (media.type !== 'audio') return rejected('not_audio');
  if (media.port === 0) return rejected('disabled_by_offer');
  let crypto: AnsweredStream['crypto'] = null;
  if (media.protocol === 'RTP/SAVP') {
    const offered =
      srtp === undefined
        ? undefined
        : srtp.suites.map((s) => media.crypto.find((c) => c.suite === s)).find((c) => c !== undefined);
    if (srtp === undefined || offered === undefined) return rejected('unsupported_transport');
    crypto = {
      offered,
      answered: {
        tag: offered.tag,
        suite: offered.suite,
        keyParams: srtp.keyParamsFor(offered.suite),
        sessionParams: [],
      },
    };
  } else if (media.protocol !== 'RTP/AVP') {
    return rejected('unsupported_transport');
  }
  const codecs = chooseCodecs(media, supported);
  if (codecs === null) return rejected('no_common_codec');
  return { media, reject: null, codecs, crypto, port: null };
}

function serialise(
  offer: SdpSession,
  streams: readonly AnsweredStream[],
  localAddress: string,
  sessionId: string,
  version: string,
): string {
  const addrType = localAddress.includes(':') ? 'IP6' : 'IP4';
  const out = [
    `v=0`,
    `o=callvault ${sessionId} ${version} IN ${addrType} ${localAddress}`,
    `s=callvault`,
    `c=IN ${addrType} ${localAddress}`,
    `t=0 0`,
  ];
  streams.forEach((s, i) => {
    const media = offer.media[i];
    if (media === undefined) return;
    if (s.rejectReason !== null || s.codecs === null) {
      out.push(`m=${media.type} 0 ${media.protocol} ${media.formats.join(' ')}`);
      if (s.label !== null) out.push(`a=label:${s.label}`);
      return;
    }
    const maps = [...s.codecs.audio, ...(s.codecs.telephoneEvent === null ? [] : [s.codecs.telephoneEvent])];
    out.push(`m=audio ${s.port} ${media.protocol} ${maps.map((m) => m.payloadType).join(' ')}`);
    for (const m of maps) {
      out.push(
        `a=rtpmap:${m.payloadType} ${m.encoding}/${m.clockRate}${m.channels > 1 ? `/${m.channels}` : ''}`,
      );
      const fmtp = media.fmtps.get(m.payloadType);
      if (fmtp !== undefined) out.push(`a=fmtp:${m.payloadType} ${fmtp}`);
    }
    if (s.label !== null) out.push(`a=label:${s.label}`);
    if (s.crypto !== null)
      out.push(`a=crypto:${s.crypto.answered.tag} ${s.crypto.answered.suite} ${s.crypto.answered.keyParams}`);
    out.push(`a=${s.direction}`);
  });
  return `${out.join('\r\n')}\r\n`;
}
