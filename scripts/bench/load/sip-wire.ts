/**
 * Wire text for the load client: the SIPREC INVITE an SBC would send (RFC 7866 multipart
 * with SDP and RFC 7865 metadata, two sendonly streams, built by agent/src/sbc like every
 * other offer), its ACK and BYE, and a response parser that only extracts what the client
 * needs. Pure functions, no sockets.
 */
import { buildMetadata, buildSdp, siprecBody, sipMessage, type MessageBody } from '../../../agent/src/sbc/index.js';
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

/** The INVITE body: two sendonly µ-law streams and metadata naming call `index`'s parties. */
function offerBody(local: Endpoint, index: number): MessageBody {
  // The offered ports are never sent from: the daemon latches the first RTP source it sees.
  const base = 40000 + (index % 10000) * 2;
  const sdp = buildSdp({
    host: local.host,
    origin: { user: 'bench', sessionId: index },
    sessionName: 'callvault load',
    direction: 'sendonly',
    streams: ['1', '2'].map((label, i) => ({
      label,
      port: base + i * 20000,
      codecs: ['PCMU'],
      telephoneEvent: false,
    })),
  });
  const metadata = buildMetadata({
    caller: { name: 'load caller', aor: `sip:${numberFor(index)}@bench.invalid` },
    callee: { name: 'load agent', aor: `sip:${agentFor(index)}@bench.invalid` },
    labels: ['1', '2'],
    direction: 'inbound',
    service: 'load',
  });
  return siprecBody(sdp, metadata, BOUNDARY);
}

function via(local: Endpoint, branch: string): string {
  return `Via: SIP/2.0/UDP ${local.host}:${local.port};branch=${branch};rport`;
}

export function buildInvite(local: Endpoint, target: Endpoint, call: CallIdentity, branch: string): string {
  return sipMessage(
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
    ],
    offerBody(local, call.index),
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
  return sipMessage([
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
  return sipMessage([
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
