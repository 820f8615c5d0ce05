/**
 * The SIPREC INVITE `callvaultctl test-call` sends: what a real SBC sends (RFC 7866 multipart
 * with SDP and RFC 7865 metadata), with a caller and an agent stream whose tones are known,
 * so a technician can hear (and the command can check) which side landed in which channel.
 * The offer itself comes from sbc/, the one builder the tests and benchmarks use too.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { buildMetadata, buildSdp, siprecBody, sipMessage, type MessageBody } from '../sbc/index.js';

export interface TestCallParams {
  readonly localHost: string;
  readonly localPort: number;
  readonly target: string;
  readonly callerNumber: string;
  readonly agent: string;
  readonly service: string;
  readonly rtpPorts: readonly [number, number];
  /** Via transport: UDP, TCP or TLS. */
  readonly transport: 'UDP' | 'TCP' | 'TLS';
}

export interface TestCallIds {
  readonly callId: string;
  readonly fromTag: string;
  readonly branch: string;
}

export const TEST_TONES_HZ = [440, 1000] as const;

export function newIds(): TestCallIds {
  return {
    callId: `${randomUUID()}@callvault-test`,
    fromTag: randomBytes(6).toString('hex'),
    branch: `z9hG4bK${randomBytes(8).toString('hex')}`,
  };
}

function body(p: TestCallParams): MessageBody {
  const sdp = buildSdp({
    host: p.localHost,
    origin: { user: 'callvault-test', sessionId: 1 },
    sessionName: 'callvault test call',
    direction: 'sendonly',
    streams: p.rtpPorts.map((port, i) => ({
      label: String(i + 1),
      port,
      codecs: ['PCMU'],
      telephoneEvent: true,
    })),
  });
  const metadata = buildMetadata({
    caller: { name: 'callvault test caller', aor: `sip:${p.callerNumber}@callvault.test` },
    callee: { name: 'callvault test agent', aor: `sip:${p.agent}@callvault.test` },
    labels: ['1', '2'],
    direction: 'inbound',
    service: p.service,
  });
  return siprecBody(sdp, metadata, 'callvault-test-boundary');
}

export function inviteFor(p: TestCallParams, ids: TestCallIds): string {
  return sipMessage(
    [
      `INVITE sip:recorder@${p.target} SIP/2.0`,
      `Via: SIP/2.0/${p.transport} ${p.localHost}:${p.localPort};branch=${ids.branch};rport`,
      'Max-Forwards: 70',
      `From: <sip:callvault-test@${p.localHost}>;tag=${ids.fromTag}`,
      `To: <sip:recorder@${p.target}>`,
      `Call-ID: ${ids.callId}`,
      'CSeq: 1 INVITE',
      `Contact: <sip:callvault-test@${p.localHost}:${p.localPort}${p.transport === 'UDP' ? '' : `;transport=${p.transport.toLowerCase()}`}>;+sip.src`,
      'Require: siprec',
      'Accept: application/sdp',
    ],
    body(p),
  );
}

/** ACK and BYE inside the dialog the 200 OK created (`toHeader` carries the recorder's tag). */
export function inDialog(
  method: 'ACK' | 'BYE',
  p: TestCallParams,
  ids: TestCallIds,
  toHeader: string,
  cseq: number,
): string {
  const branch = method === 'ACK' ? `${ids.branch}-ack` : `z9hG4bK${randomBytes(8).toString('hex')}`;
  return sipMessage([
    `${method} sip:recorder@${p.target} SIP/2.0`,
    `Via: SIP/2.0/${p.transport} ${p.localHost}:${p.localPort};branch=${branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:callvault-test@${p.localHost}>;tag=${ids.fromTag}`,
    `To: ${toHeader}`,
    `Call-ID: ${ids.callId}`,
    `CSeq: ${cseq} ${method}`,
  ]);
}
