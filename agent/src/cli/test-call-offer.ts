/**
 * The SIPREC INVITE `callvaultctl test-call` sends: what a real SBC sends (RFC 7866 multipart
 * with SDP and RFC 7865 metadata), with a caller and an agent stream whose tones are known,
 * so a technician can hear (and the command can check) which side landed in which channel.
 */
import { randomBytes, randomUUID } from 'node:crypto';

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

function sdp(p: TestCallParams): string {
  const host = p.localHost;
  const family = host.includes(':') ? 'IP6' : 'IP4';
  return [
    'v=0',
    `o=callvault-test 1 1 IN ${family} ${host}`,
    's=callvault test call',
    `c=IN ${family} ${host}`,
    't=0 0',
    ...p.rtpPorts.flatMap((port, i) => [
      `m=audio ${port} RTP/AVP 0 101`,
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=sendonly',
      `a=label:${i + 1}`,
    ]),
    '',
  ].join('\r\n');
}

function metadata(p: TestCallParams): string {
  const now = new Date().toISOString();
  return `<?xml version="1.0" encoding="UTF-8"?>
<recording xmlns="urn:ietf:params:xml:ns:recording:1">
  <datamode>complete</datamode>
  <session session_id="c2Vzc2lvbg=="><start-time>${now}</start-time></session>
  <participant participant_id="Y2FsbGVy"><nameID aor="sip:${p.callerNumber}@callvault.test"><name>callvault test caller</name></nameID></participant>
  <participant participant_id="YWdlbnQ="><nameID aor="sip:${p.agent}@callvault.test"><name>callvault test agent</name></nameID></participant>
  <stream stream_id="c3RyZWFtMQ==" session_id="c2Vzc2lvbg=="><label>1</label></stream>
  <stream stream_id="c3RyZWFtMg==" session_id="c2Vzc2lvbg=="><label>2</label></stream>
  <participantstreamassoc participant_id="Y2FsbGVy"><send>c3RyZWFtMQ==</send><recv>c3RyZWFtMg==</recv></participantstreamassoc>
  <participantstreamassoc participant_id="YWdlbnQ="><send>c3RyZWFtMg==</send><recv>c3RyZWFtMQ==</recv></participantstreamassoc>
  <direction>inbound</direction>
  <service>${p.service}</service>
</recording>
`;
}

function headerBlock(lines: readonly string[], body: string): string {
  return `${lines.join('\r\n')}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

export function inviteFor(p: TestCallParams, ids: TestCallIds): string {
  const boundary = 'callvault-test-boundary';
  const body = [
    `--${boundary}`,
    'Content-Type: application/sdp',
    '',
    sdp(p),
    `--${boundary}`,
    'Content-Type: application/rs-metadata+xml',
    'Content-Disposition: recording-session',
    '',
    metadata(p),
    `--${boundary}--`,
    '',
  ].join('\r\n');
  return headerBlock(
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
      `Content-Type: multipart/mixed;boundary=${boundary}`,
    ],
    body,
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
  return headerBlock(
    [
      `${method} sip:recorder@${p.target} SIP/2.0`,
      `Via: SIP/2.0/${p.transport} ${p.localHost}:${p.localPort};branch=${branch};rport`,
      'Max-Forwards: 70',
      `From: <sip:callvault-test@${p.localHost}>;tag=${ids.fromTag}`,
      `To: ${toHeader}`,
      `Call-ID: ${ids.callId}`,
      `CSeq: ${cseq} ${method}`,
    ],
    '',
  );
}
