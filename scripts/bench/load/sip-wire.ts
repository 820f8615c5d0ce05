/**
 * Wire text for the load client: the SIPREC INVITE an SBC would send (RFC 7866 multipart
 * with SDP and RFC 7865 metadata, two sendonly streams), its ACK and BYE, and a response
 * parser that only extracts what the client needs. Pure functions, no sockets.
 */
import { LoadBenchError, BENCH_BAD_MESSAGE } from './errors.js';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** One call's identity; `index` makes its metadata unique so a recording maps back to its call. */
export interface CallIdentity {
  readonly index: number;
  readonly callId: string;
  readonly fromTag: string;
}

export interface ParsedResponse {
  readonly status: number;
  readonly callId: string;
  readonly cseq: number;
  readonly method: string;
  readonly toTag: string | null;
  /** Ports of the answer's m= lines, in offer order (empty without an SDP body). */
  readonly mediaPorts: readonly number[];
  readonly mediaHost: string | null;
}

const BOUNDARY = 'callvault-load-boundary';

/** The agent identity of call `index`: an extension the index blind-indexes and search returns. */
export function agentFor(index: number): string {
  return `7${String(index).padStart(6, '0')}`;
}

/** The customer number of call `index` (E.164). */
export function numberFor(index: number): string {
  return `+4670${String(index).padStart(7, '0')}`;
}

function sdpOffer(local: Endpoint, index: number): string {
  // The offered ports are never sent from: the daemon latches the first RTP source it sees.
  const base = 40000 + (index % 10000) * 2;
  return [
    'v=0',
    `o=bench ${index} 1 IN IP4 ${local.host}`,
    's=callvault load',
    `c=IN IP4 ${local.host}`,
    't=0 0',
    ...[1, 2].flatMap((label, i) => [
      `m=audio ${base + i * 20000} RTP/AVP 0`,
      'a=rtpmap:0 PCMU/8000',
      'a=sendonly',
      `a=label:${label}`,
    ]),
    '',
  ].join('\r\n');
}

function metadata(index: number): string {
  const at = new Date().toISOString();
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<recording xmlns="urn:ietf:params:xml:ns:recording:1">',
    '<datamode>complete</datamode>',
    `<session session_id="c2Vzc2lvbg=="><start-time>${at}</start-time></session>`,
    `<participant participant_id="Y2FsbGVy"><nameID aor="sip:${numberFor(index)}@bench.invalid"><name>load caller</name></nameID></participant>`,
    `<participant participant_id="YWdlbnQ="><nameID aor="sip:${agentFor(index)}@bench.invalid"><name>load agent</name></nameID></participant>`,
    '<stream stream_id="c3RyZWFtMQ==" session_id="c2Vzc2lvbg=="><label>1</label></stream>',
    '<stream stream_id="c3RyZWFtMg==" session_id="c2Vzc2lvbg=="><label>2</label></stream>',
    '<participantstreamassoc participant_id="Y2FsbGVy"><send>c3RyZWFtMQ==</send><recv>c3RyZWFtMg==</recv></participantstreamassoc>',
    '<participantstreamassoc participant_id="YWdlbnQ="><send>c3RyZWFtMg==</send><recv>c3RyZWFtMQ==</recv></participantstreamassoc>',
    '<direction>inbound</direction>',
    '<service>load</service>',
    '</recording>',
    '',
  ].join('\r\n');
}

function message(lines: readonly string[], body = ''): string {
  return `${lines.join('\r\n')}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

function via(local: Endpoint, branch: string): string {
  return `Via: SIP/2.0/UDP ${local.host}:${local.port};branch=${branch};rport`;
}

export function buildInvite(local: Endpoint, target: Endpoint, call: CallIdentity, branch: string): string {
  const body = [
    `--${BOUNDARY}`,
    'Content-Type: application/sdp',
    '',
    sdpOffer(local, call.index),
    `--${BOUNDARY}`,
    'Content-Type: application/rs-metadata+xml',
    'Content-Disposition: recording-session',
    '',
    metadata(call.index),
    `--${BOUNDARY}--`,
    '',
  ].join('\r\n');
  return message(
    [
      `INVITE sip:srs@${target.host}:${target.port} SIP/2.0`,
      via(local, branch),
      'Max-Forwards: 70',
      `From: <sip:src@${local.host}>;tag=${call.fromTag}`,
      `To: <sip:srs@${target.host}>`,
      `Call-ID: ${call.callId}`,
      'CSeq: 1 INVITE',
      `Contact: <sip:src@${local.host}:${local.port}>;+sip.src`,
      'Require: siprec',
      'Accept: application/sdp, application/rs-metadata',
      `Content-Type: multipart/mixed;boundary=${BOUNDARY}`,
    ],
    body,
  );
}

/** ACK for a 2xx (its own branch) or a non-2xx final (the INVITE's branch). */
export function buildAck(
  local: Endpoint,
  target: Endpoint,
  call: CallIdentity,
  toTag: string | null,
  branch: string,
): string {
  return message([
    `ACK sip:srs@${target.host}:${target.port} SIP/2.0`,
    via(local, branch),
    'Max-Forwards: 70',
    `From: <sip:src@${local.host}>;tag=${call.fromTag}`,
    `To: <sip:srs@${target.host}>${toTag === null ? '' : `;tag=${toTag}`}`,
    `Call-ID: ${call.callId}`,
    'CSeq: 1 ACK',
  ]);
}

export function buildBye(
  local: Endpoint,
  target: Endpoint,
  call: CallIdentity,
  toTag: string,
  branch: string,
): string {
  return message([
    `BYE sip:srs@${target.host}:${target.port} SIP/2.0`,
    via(local, branch),
    'Max-Forwards: 70',
    `From: <sip:src@${local.host}>;tag=${call.fromTag}`,
    `To: <sip:srs@${target.host}>;tag=${toTag}`,
    `Call-ID: ${call.callId}`,
    'CSeq: 2 BYE',
  ]);
}

function header(lines: readonly string[], ...names: string[]): string | null {
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (names.includes(name)) return line.slice(colon + 1).trim();
  }
  return null;
}

/** Parses a SIP response; requests and malformed text throw CV_ERR_BENCH_BAD_MESSAGE. */
export function parseResponse(text: string): ParsedResponse {
  const split = text.indexOf('\r\n\r\n');
  const head = (split < 0 ? text : text.slice(0, split)).split('\r\n');
  const body = split < 0 ? '' : text.slice(split + 4);
  const status = /^SIP\/2\.0 (\d{3}) /.exec(head[0] ?? '');
  const callId = header(head, 'call-id', 'i');
  const cseq = /^(\d+)\s+([A-Z]+)$/.exec(header(head, 'cseq') ?? '');
  if (status === null || callId === null || cseq === null)
    throw new LoadBenchError(BENCH_BAD_MESSAGE, 'not a SIP response', {
      context: { firstLine: head[0] ?? '' },
    });
  const to = header(head, 'to', 't') ?? '';
  const tag = /;\s*tag=([^;\s>]+)/i.exec(to);
  const mediaPorts: number[] = [];
  let mediaHost: string | null = null;
  for (const line of body.split(/\r?\n/)) {
    const m = /^m=audio (\d+) /.exec(line);
    if (m !== null) mediaPorts.push(Number(m[1]));
    const c = /^c=IN IP4 (\S+)/.exec(line);
    if (c !== null && mediaHost === null) mediaHost = c[1]!;
  }
  return {
    status: Number(status[1]),
    callId,
    cseq: Number(cseq[1]),
    method: cseq[2]!,
    toTag: tag === null ? null : tag[1]!,
    mediaPorts,
    mediaHost,
  };
}
