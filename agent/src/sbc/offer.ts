/**
 * The SIPREC offer an SBC (the SRC) sends: SDP with one labelled m-line per stream, RFC 7865
 * metadata saying who sends which stream, and the RFC 7866 multipart body carrying both.
 * `callvaultctl test-call`, the load bench and the test kit all build their INVITE bodies here,
 * so what the appliance is tested with is what a technician's test call sends.
 * Pure text: no sockets, no clock other than the metadata start time.
 */

export type AudioCodec = 'PCMU' | 'PCMA' | 'G722';

/** Static RTP payload types (RFC 3551). */
export const PAYLOAD_TYPE: Readonly<Record<AudioCodec, number>> = { PCMU: 0, PCMA: 8, G722: 9 };
/** The dynamic payload type offered for RFC 4733 telephone-event. */
export const TELEPHONE_EVENT_PT = 101;

export type MediaDirection = 'sendonly' | 'recvonly' | 'sendrecv' | 'inactive';

export interface OfferedStream {
  /** a=label (null: none, as in a plain INVITE). */
  readonly label: string | null;
  readonly port: number;
  /** In order of preference. */
  readonly codecs: readonly AudioCodec[];
  readonly telephoneEvent: boolean;
}

export interface SdpOffer {
  readonly host: string;
  readonly streams: readonly OfferedStream[];
  readonly direction: MediaDirection;
  /** o= username and session id: lets a trace tell the sender apart. */
  readonly origin?: { readonly user: string; readonly sessionId: string | number };
  /** o= version; a re-offer increments it. Default 1. */
  readonly version?: number;
  readonly sessionName?: string;
}

export function buildSdp(o: SdpOffer): string {
  const family = o.host.includes(':') ? 'IP6' : 'IP4';
  const origin = o.origin ?? { user: 'cv-src', sessionId: 4242 };
  const lines = [
    'v=0',
    `o=${origin.user} ${origin.sessionId} ${o.version ?? 1} IN ${family} ${o.host}`,
    `s=${o.sessionName ?? '-'}`,
    `c=IN ${family} ${o.host}`,
    't=0 0',
  ];
  for (const s of o.streams) {
    const pts = [...s.codecs.map((c) => PAYLOAD_TYPE[c]), ...(s.telephoneEvent ? [TELEPHONE_EVENT_PT] : [])];
    lines.push(`m=audio ${s.port} RTP/AVP ${pts.join(' ')}`);
    for (const c of s.codecs) lines.push(`a=rtpmap:${PAYLOAD_TYPE[c]} ${c}/8000`);
    if (s.telephoneEvent)
      lines.push(`a=rtpmap:${TELEPHONE_EVENT_PT} telephone-event/8000`, `a=fmtp:${TELEPHONE_EVENT_PT} 0-15`);
    lines.push('a=ptime:20', `a=${o.direction}`);
    if (s.label !== null) lines.push(`a=label:${s.label}`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

export interface Participant {
  /** Display name (<name>); null leaves it out. */
  readonly name: string | null;
  readonly aor: string;
}

export interface MetadataSpec {
  readonly caller: Participant;
  readonly callee: Participant;
  /** Stream labels in m-line order: stream 0 is sent by the caller, the others by the callee. */
  readonly labels: readonly string[];
  readonly direction?: 'inbound' | 'outbound' | null;
  readonly service?: string | null;
  /** <start-time>; default now. */
  readonly startTime?: Date;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

/** RFC 7865 recording metadata for one communication session with two participants. */
export function buildMetadata(m: MetadataSpec): string {
  const party = (id: string, p: Participant): string =>
    `  <participant participant_id="${id}"><nameID aor="${esc(p.aor)}">${
      p.name === null ? '' : `<name>${esc(p.name)}</name>`
    }</nameID></participant>`;
  const streams = m.labels.map(
    (label, i) => `  <stream stream_id="st${i}" session_id="c2Vzcw=="><label>${esc(label)}</label></stream>`,
  );
  const sends = (caller: boolean): string =>
    m.labels.map((_, i) => ((i === 0) === caller ? `<send>st${i}</send>` : `<recv>st${i}</recv>`)).join('');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<recording xmlns="urn:ietf:params:xml:ns:recording:1">',
    '  <datamode>complete</datamode>',
    `  <session session_id="c2Vzcw=="><start-time>${(m.startTime ?? new Date()).toISOString()}</start-time></session>`,
    party('cGE=', m.caller),
    party('cGI=', m.callee),
    ...streams,
    `  <participantstreamassoc participant_id="cGE=">${sends(true)}</participantstreamassoc>`,
    `  <participantstreamassoc participant_id="cGI=">${sends(false)}</participantstreamassoc>`,
    ...(m.direction ? [`  <direction>${m.direction}</direction>`] : []),
    ...(m.service ? [`  <service>${esc(m.service)}</service>`] : []),
    '</recording>',
    '',
  ].join('\r\n');
}

export const METADATA_TYPE = 'application/rs-metadata+xml';

export interface MessageBody {
  /** The Content-Type header value. */
  readonly type: string;
  readonly body: string;
}

/** The RFC 7866 INVITE body: SDP first, then the metadata as the recording-session part. */
export function siprecBody(
  sdp: string,
  metadata: string,
  boundary: string,
  metadataType = METADATA_TYPE,
): MessageBody {
  const body = [
    `--${boundary}`,
    'Content-Type: application/sdp',
    '',
    sdp,
    `--${boundary}`,
    `Content-Type: ${metadataType}`,
    'Content-Disposition: recording-session',
    '',
    metadata,
    `--${boundary}--`,
    '',
  ].join('\r\n');
  return { type: `multipart/mixed;boundary=${boundary}`, body };
}

/**
 * A SIP message from its start line and headers (Content-Type when a body is given) plus
 * Content-Length counted in `encoding` (the one the caller sends the text with).
 */
export function sipMessage(
  lines: readonly string[],
  body?: MessageBody,
  encoding: BufferEncoding = 'utf8',
): string {
  const head = body === undefined ? lines : [...lines, `Content-Type: ${body.type}`];
  const b = body?.body ?? '';
  return `${head.join('\r\n')}\r\nContent-Length: ${Buffer.byteLength(b, encoding)}\r\n\r\n${b}`;
}
