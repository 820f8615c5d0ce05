/**
 * A small strict SDP parser (RFC 8866) for what a recording server needs: session and media
 * level c=, m=, a=rtpmap/fmtp/label (RFC 4574)/direction/crypto (RFC 4568)/ptime/rtcp (RFC 3605).
 * Strict about the lines it reads (a malformed m= or rtpmap is an error naming the line), tolerant
 * of lines and attributes it does not need, which it keeps verbatim.
 */
import type { MediaDirection } from '../session/index.js';
import { SdpError } from './errors.js';
import type {
  SdpAttribute,
  SdpConnection,
  SdpCrypto,
  SdpMedia,
  SdpOrigin,
  SdpRtpMap,
  SdpSession,
} from './sdp-types.js';

export type { SdpAttribute, SdpConnection, SdpCrypto, SdpMedia, SdpOrigin, SdpRtpMap, SdpSession };

/** RFC 3551 table 4 entries a recorder may meet without an rtpmap. */
const STATIC_PAYLOAD_TYPES: ReadonlyMap<number, Omit<SdpRtpMap, 'payloadType'>> = new Map([
  [0, { encoding: 'PCMU', clockRate: 8000, channels: 1 }],
  [3, { encoding: 'GSM', clockRate: 8000, channels: 1 }],
  [4, { encoding: 'G723', clockRate: 8000, channels: 1 }],
  [8, { encoding: 'PCMA', clockRate: 8000, channels: 1 }],
  [9, { encoding: 'G722', clockRate: 8000, channels: 1 }],
  [13, { encoding: 'CN', clockRate: 8000, channels: 1 }],
  [18, { encoding: 'G729', clockRate: 8000, channels: 1 }],
]);

const DIRECTIONS: ReadonlySet<string> = new Set(['sendrecv', 'sendonly', 'recvonly', 'inactive']);
const LINE = /^([a-z])=(.*)$/;

interface MediaDraft {
  index: number;
  line: number;
  type: string;
  port: number;
  portCount: number;
  protocol: string;
  formats: string[];
  connection: SdpConnection | null;
  attributes: SdpAttribute[];
}

export function parseSdp(text: string): SdpSession {
  const lines = text.split(/\r?\n/);
  let origin: SdpOrigin | null = null;
  let sessionName: string | null = null;
  let sessionConnection: SdpConnection | null = null;
  const sessionAttributes: SdpAttribute[] = [];
  const drafts: MediaDraft[] = [];
  let sawVersion = false;

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = (lines[i] ?? '').trimEnd();
    if (raw === '') continue;
    const match = LINE.exec(raw);
    if (match === null)
      throw new SdpError('CV_ERR_SDP_SYNTAX', `SDP line ${lineNo} is not <type>=<value>`, {
        context: { line: lineNo },
      });
    const type = match[1] ?? '';
    const value = match[2] ?? '';
    if (!sawVersion) {
      if (type !== 'v' || value !== '0')
        throw new SdpError('CV_ERR_SDP_VERSION', `SDP must start with v=0 (line ${lineNo})`, {
          context: { line: lineNo },
        });
      sawVersion = true;
      continue;
    }
    const media = drafts.at(-1);
    switch (type) {
      case 'o':
        origin = parseOrigin(value, lineNo);
        break;
      case 's':
        sessionName = value;
        break;
      case 'c':
        if (media === undefined) sessionConnection = parseConnection(value, lineNo);
        else media.connection = parseConnection(value, lineNo);
        break;
      case 'm':
        drafts.push(parseMediaLine(value, lineNo, drafts.length));
        break;
      case 'a':
        (media?.attributes ?? sessionAttributes).push(parseAttribute(value, lineNo));
        break;
      default:
        // b=, t=, r=, z=, k=, i=, u=, e=, p= do not affect recording.
        break;
    }
  }
  if (!sawVersion) throw new SdpError('CV_ERR_SDP_VERSION', 'SDP is empty', { context: { line: 0 } });
  if (origin === null)
    throw new SdpError('CV_ERR_SDP_SYNTAX', 'SDP has no o= line', { context: { line: 0 } });
  if (sessionName === null)
    throw new SdpError('CV_ERR_SDP_SYNTAX', 'SDP has no s= line', { context: { line: 0 } });

  const sessionDirection = directionOf(sessionAttributes);
  return {
    origin,
    sessionName,
    connection: sessionConnection,
    direction: sessionDirection,
    attributes: sessionAttributes,
    media: drafts.map((d) => finishMedia(d, sessionConnection, sessionDirection)),
  };
}

function parseOrigin(value: string, line: number): SdpOrigin {
  const f = value.split(/\s+/);
  if (f.length !== 6 || f[3] !== 'IN')
    throw new SdpError('CV_ERR_SDP_SYNTAX', `o= on line ${line} needs 6 fields`, { context: { line } });
  return {
    username: f[0] ?? '',
    sessionId: f[1] ?? '',
    sessionVersion: f[2] ?? '',
    addrType: f[4] ?? '',
    address: f[5] ?? '',
  };
}

function parseConnection(value: string, line: number): SdpConnection {
  const f = value.split(/\s+/);
  const addrType = f[1];
  const address = (f[2] ?? '').split('/')[0] ?? '';
  if (f.length !== 3 || f[0] !== 'IN' || (addrType !== 'IP4' && addrType !== 'IP6') || address === '') {
    throw new SdpError('CV_ERR_SDP_CONNECTION', `c= on line ${line} must be "IN IP4|IP6 <address>"`, {
      context: { line },
    });
  }
  return { addrType, address };
}

function parseMediaLine(value: string, line: number, index: number): MediaDraft {
  const f = value.split(/\s+/).filter((x) => x !== '');
  const portMatch = /^(\d{1,5})(?:\/(\d{1,5}))?$/.exec(f[1] ?? '');
  const port = Number(portMatch?.[1] ?? NaN);
  if (f.length < 4 || portMatch === null || port > 65535) {
    throw new SdpError('CV_ERR_SDP_MEDIA', `m= on line ${line} must be "<media> <port> <proto> <fmt> ..."`, {
      context: { line },
    });
  }
  return {
    index,
    line,
    type: f[0] ?? '',
    port,
    portCount: portMatch[2] === undefined ? 1 : Number(portMatch[2]),
    protocol: f[2] ?? '',
    formats: f.slice(3),
    connection: null,
    attributes: [],
  };
}

function parseAttribute(value: string, line: number): SdpAttribute {
  const colon = value.indexOf(':');
  if (colon < 0) return { name: value, value: null, line };
  return { name: value.slice(0, colon), value: value.slice(colon + 1), line };
}

function directionOf(attributes: readonly SdpAttribute[]): MediaDirection | null {
  let found: MediaDirection | null = null;
  for (const a of attributes)
    if (a.value === null && DIRECTIONS.has(a.name)) found = a.name as MediaDirection;
  return found;
}

function finishMedia(
  d: MediaDraft,
  sessionConnection: SdpConnection | null,
  sessionDirection: MediaDirection | null,
): SdpMedia {
  const rtpmaps = new Map<number, SdpRtpMap>();
  const fmtps = new Map<number, string>();
  const crypto: SdpCrypto[] = [];
  let label: string | null = null;
  let ptimeMs: number | null = null;
  let maxptimeMs: number | null = null;
  let rtcp: SdpMedia['rtcp'] = null;

  for (const a of d.attributes) {
    const v = a.value;
    if (v === null) continue;
    switch (a.name) {
      case 'rtpmap': {
        const m = /^(\d{1,3})\s+([^/\s]+)\/(\d+)(?:\/(\d+))?$/.exec(v.trim());
        const pt = Number(m?.[1]);
        if (m === null || pt > 127)
          throw attributeError(a, 'rtpmap must be "<pt> <encoding>/<rate>[/<channels>]"');
        rtpmaps.set(pt, {
          payloadType: pt,
          encoding: m[2] ?? '',
          clockRate: Number(m[3]),
          channels: m[4] === undefined ? 1 : Number(m[4]),
        });
        break;
      }
      case 'fmtp': {
        const m = /^(\d{1,3})\s+(.*)$/.exec(v.trim());
        if (m === null) throw attributeError(a, 'fmtp must be "<pt> <parameters>"');
        fmtps.set(Number(m[1]), m[2] ?? '');
        break;
      }
      case 'label':
        label = v.trim();
        break;
      case 'crypto': {
        const f = v.trim().split(/\s+/);
        const tag = Number(f[0]);
        if (f.length < 3 || !Number.isInteger(tag))
          throw attributeError(a, 'crypto must be "<tag> <suite> <key-params>"');
        crypto.push({ tag, suite: f[1] ?? '', keyParams: f[2] ?? '', sessionParams: f.slice(3) });
        break;
      }
      case 'ptime':
        ptimeMs = positiveNumber(a);
        break;
      case 'maxptime':
        maxptimeMs = positiveNumber(a);
        break;
      case 'rtcp': {
        const f = v.trim().split(/\s+/);
        const port = Number(f[0]);
        if (!Number.isInteger(port) || port < 0 || port > 65535)
          throw attributeError(a, 'rtcp must start with a port');
        rtcp = { port, address: f.length >= 4 ? (f[3] ?? null) : null };
        break;
      }
      default:
        break;
    }
  }
  for (const fmt of d.formats) {
    const pt = Number(fmt);
    const known = STATIC_PAYLOAD_TYPES.get(pt);
    if (/^\d+$/.test(fmt) && known !== undefined && !rtpmaps.has(pt))
      rtpmaps.set(pt, { payloadType: pt, ...known });
  }
  return {
    index: d.index,
    line: d.line,
    type: d.type,
    port: d.port,
    portCount: d.portCount,
    protocol: d.protocol,
    formats: d.formats,
    connection: d.connection ?? sessionConnection,
    label,
    direction: directionOf(d.attributes) ?? sessionDirection ?? 'sendrecv',
    rtpmaps: d.formats.flatMap((f) => {
      const map = rtpmaps.get(Number(f));
      return /^\d+$/.test(f) && map !== undefined ? [map] : [];
    }),
    fmtps,
    crypto,
    ptimeMs,
    maxptimeMs,
    rtcp,
    attributes: d.attributes,
  };
}

function positiveNumber(a: SdpAttribute): number {
  const n = Number((a.value ?? '').trim());
  if (!Number.isFinite(n) || n <= 0) throw attributeError(a, `${a.name} must be a positive number`);
  return n;
}

function attributeError(a: SdpAttribute, what: string): SdpError {
  return new SdpError('CV_ERR_SDP_ATTRIBUTE', `a=${a.name} on line ${a.line}: ${what}`, {
    context: { line: a.line, attribute: a.name },
  });
}
