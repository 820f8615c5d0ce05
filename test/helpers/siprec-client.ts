/**
 * A SIPREC client (the SRC, as an SBC would be) for end-to-end tests of the real daemon, on
 * 127.0.0.1 only. It builds RFC 7866 offers (SDP + RFC 7865 metadata) or replays the vendor
 * fixtures with their addresses rewritten, runs INVITE/ACK/re-INVITE/BYE/CANCEL over UDP or TCP,
 * answers the daemon's own BYE, and sends RTP paced in real time with a known tone per stream,
 * seeded loss, reordering, hold gaps, RFC 4733 DTMF, SSRC changes and RTCP.
 *
 * Over 300 lines on purpose: SIP framing, offers and media belong to one fake SBC, and tests
 * import one helper. Every wait is bounded; every socket binds to 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { connect, type Socket as TcpSocket } from 'node:net';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  buildRtpPacket,
  buildTelephoneEventPayload,
  createG722State,
  encodeAlaw,
  encodeG722,
  encodeUlaw,
} from '../../agent/src/media/index.js';
import { join } from 'node:path';
import { readWav, type WavInfo } from './audio.js';
import { ctl } from './daemon.js';
import { mulberry32 as prng } from './prng.js';

const HOST = '127.0.0.1';
export type Transport = 'udp' | 'tcp';
export type AudioCodec = 'PCMU' | 'PCMA' | 'G722';
const PT: Record<AudioCodec, number> = { PCMU: 0, PCMA: 8, G722: 9 };
const TE_PT = 101;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const rand = (bytes: number): string => randomBytes(bytes).toString('hex');
const branch = (): string => `z9hG4bK${rand(8)}`;

// ---------------------------------------------------------------- SIP messages

export interface SipMessage {
  readonly raw: string;
  /** Responses: the status code; requests: null. */
  readonly status: number | null;
  readonly method: string | null;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string;
}

const COMPACT: Record<string, string> = {
  v: 'via',
  f: 'from',
  t: 'to',
  i: 'call-id',
  m: 'contact',
  l: 'content-length',
  c: 'content-type',
};

export function parseSipMessage(raw: string): SipMessage {
  const split = raw.indexOf('\r\n\r\n');
  const head = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? '' : raw.slice(split + 4);
  const [start = '', ...lines] = head.split('\r\n');
  const headers: [string, string][] = [];
  for (const line of lines) {
    const prev = headers[headers.length - 1];
    if (/^[ \t]/.test(line) && prev !== undefined) prev[1] += ` ${line.trim()}`;
    const c = line.indexOf(':');
    if (c > 0 && !/^[ \t]/.test(line)) {
      const name = line.slice(0, c).trim().toLowerCase();
      headers.push([COMPACT[name] ?? name, line.slice(c + 1).trim()]);
    }
  }
  const st = /^SIP\/2\.0 (\d{3})/.exec(start);
  return {
    raw,
    status: st ? Number(st[1]) : null,
    method: st ? null : (start.split(' ')[0] ?? null),
    headers,
    body,
  };
}

export function header(msg: SipMessage, name: string): string | undefined {
  return msg.headers.find(([n]) => n === name.toLowerCase())?.[1];
}

function cseqOf(msg: SipMessage): { n: number; method: string } | null {
  const m = /^(\d+)\s+(\S+)/.exec(header(msg, 'cseq') ?? '');
  return m ? { n: Number(m[1]), method: m[2]!.toUpperCase() } : null;
}

// ---------------------------------------------------------------- offers

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

export function buildSdp(
  streams: readonly { label: string | null; port: number; codecs: readonly AudioCodec[]; te: boolean }[],
  direction: string,
  version = 1,
): string {
  const lines = ['v=0', `o=cv-src 4242 ${version} IN IP4 ${HOST}`, 's=-', `c=IN IP4 ${HOST}`, 't=0 0'];
  for (const s of streams) {
    const pts = [...s.codecs.map((c) => PT[c]), ...(s.te ? [TE_PT] : [])];
    lines.push(`m=audio ${s.port} RTP/AVP ${pts.join(' ')}`);
    for (const c of s.codecs) lines.push(`a=rtpmap:${PT[c]} ${c}/8000`);
    if (s.te) lines.push(`a=rtpmap:${TE_PT} telephone-event/8000`, `a=fmtp:${TE_PT} 0-15`);
    lines.push('a=ptime:20', `a=${direction}`);
    if (s.label !== null) lines.push(`a=label:${s.label}`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

/** RFC 7865 metadata: stream i is sent by the caller (i = 0) or the callee (i = 1, 2…). */
export function buildMetadata(o: OfferSpec): string {
  const caller = o.caller ?? CALLER;
  const callee = o.callee ?? AGENT;
  const party = (id: string, p: PartySpec): string =>
    `  <participant participant_id="${id}"><nameID aor="${esc(p.aor)}">${
      p.name === null ? '' : `<name>${esc(p.name)}</name>`
    }</nameID></participant>`;
  const streams = o.streams.map(
    (s, i) => `  <stream stream_id="st${i}" session_id="c2Vzcw=="><label>${esc(s.label)}</label></stream>`,
  );
  const sends = (mine: boolean): string =>
    o.streams.map((_, i) => ((i === 0) === mine ? `<send>st${i}</send>` : `<recv>st${i}</recv>`)).join('');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<recording xmlns="urn:ietf:params:xml:ns:recording:1">',
    '  <datamode>complete</datamode>',
    `  <session session_id="c2Vzcw=="><start-time>${new Date().toISOString()}</start-time></session>`,
    party('cGE=', caller),
    party('cGI=', callee),
    ...streams,
    `  <participantstreamassoc participant_id="cGE=">${sends(true)}</participantstreamassoc>`,
    `  <participantstreamassoc participant_id="cGI=">${sends(false)}</participantstreamassoc>`,
    ...(o.direction ? [`  <direction>${o.direction}</direction>`] : []),
    ...(o.service ? [`  <service>${esc(o.service)}</service>`] : []),
    '</recording>',
    '',
  ].join('\r\n');
}

function multipart(sdp: string, metadata: string, type: string): { type: string; body: string } {
  const b = `cv-${rand(6)}`;
  const body = [
    `--${b}`,
    'Content-Type: application/sdp',
    '',
    sdp,
    `--${b}`,
    `Content-Type: ${type}`,
    'Content-Disposition: recording-session',
    '',
    metadata,
    `--${b}--`,
    '',
  ].join('\r\n');
  return { type: `multipart/mixed;boundary=${b}`, body };
}

// ---------------------------------------------------------------- answers

export interface AnsweredStream {
  readonly index: number;
  readonly label: string | null;
  readonly port: number;
  readonly direction: string | null;
  readonly payloadTypes: readonly number[];
}

export interface Answer {
  readonly host: string;
  readonly streams: readonly AnsweredStream[];
}

export function parseAnswer(sdp: string): Answer {
  const sections = sdp.split(/\r?\n(?=m=)/);
  const host = /^c=IN IP[46] (\S+)/m.exec(sdp)?.[1] ?? HOST;
  const streams = sections.slice(1).map((sec, index) => {
    const m = /^m=\S+ (\d+) \S+ ?(.*)$/m.exec(sec);
    return {
      index,
      label: /^a=label:(\S+)/m.exec(sec)?.[1] ?? null,
      port: Number(m?.[1] ?? 0),
      direction: /^a=(sendonly|recvonly|sendrecv|inactive)\s*$/m.exec(sec)?.[1] ?? null,
      payloadTypes: (m?.[2] ?? '').split(/\s+/).filter(Boolean).map(Number),
    };
  });
  return { host, streams };
}

// ---------------------------------------------------------------- the client

interface Waiter {
  readonly pred: (m: SipMessage) => boolean;
  readonly resolve: (m: SipMessage) => void;
}

export class SiprecClient {
  readonly transport: Transport;
  readonly target: { readonly host: string; readonly port: number };
  /** Every SIP message received, in order. */
  readonly messages: SipMessage[] = [];
  #udp: Socket | null = null;
  #tcp: TcpSocket | null = null;
  #tcpBuf = Buffer.alloc(0);
  #localPort = 0;
  readonly #waiters = new Set<Waiter>();
  readonly #calls = new Set<SiprecCall>();

  private constructor(target: { host: string; port: number }, transport: Transport) {
    this.target = target;
    this.transport = transport;
  }

  static async open(port: number, transport: Transport = 'udp'): Promise<SiprecClient> {
    const c = new SiprecClient({ host: HOST, port }, transport);
    if (transport === 'udp') {
      const s = createSocket('udp4');
      s.on('message', (b) => c.#receive(b.toString('latin1')));
      s.bind(0, HOST);
      await once(s, 'listening');
      c.#udp = s;
      c.#localPort = s.address().port;
    } else {
      const s = connect({ host: HOST, port, localAddress: HOST });
      s.setTimeout(10_000, () => s.destroy());
      await once(s, 'connect');
      s.setTimeout(0);
      s.on('data', (b: Buffer) => c.#onTcpData(b));
      s.on('error', () => undefined);
      c.#tcp = s;
      c.#localPort = s.localPort ?? 0;
    }
    return c;
  }

  get localPort(): number {
    return this.#localPort;
  }

  /** `SIP/2.0/UDP 127.0.0.1:PORT;branch=…;rport` */
  via(br: string = branch()): string {
    return `SIP/2.0/${this.transport.toUpperCase()} ${HOST}:${this.#localPort};branch=${br};rport`;
  }

  contact(src = true): string {
    return `<sip:src@${HOST}:${this.#localPort};transport=${this.transport}>${src ? ';+sip.src' : ''}`;
  }

  /** Sends raw bytes to the daemon's SIP port (no framing, no retransmission). */
  send(data: string | Buffer): void {
    const buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    if (this.#udp !== null) this.#udp.send(buf, this.target.port, this.target.host);
    else this.#tcp?.write(buf);
  }

  /** Resolves with the first message (from index `since`) matching `pred`; rejects after timeoutMs. */
  waitFor(
    pred: (m: SipMessage) => boolean,
    timeoutMs: number,
    since = 0,
    what = 'SIP message',
  ): Promise<SipMessage> {
    const seen = this.messages.slice(since).find(pred);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        pred,
        resolve: (m) => {
          clearTimeout(timer);
          this.#waiters.delete(w);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(w);
        reject(new Error(`no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.add(w);
    });
  }

  /**
   * Sends a request and resolves with its final response. UDP retransmits (RFC 3261 timers A/E,
   * T1 = 500 ms) until a provisional (INVITE) or final (others) response; TCP sends once.
   */
  async transact(
    request: string,
    callId: string,
    cseq: number,
    method: string,
    timeoutMs = 8000,
  ): Promise<SipMessage> {
    const since = this.messages.length;
    const matches = (m: SipMessage): boolean => {
      const cs = cseqOf(m);
      return m.status !== null && header(m, 'call-id') === callId && cs?.n === cseq && cs.method === method;
    };
    let stop = false;
    if (this.#udp !== null) {
      void (async () => {
        for (let wait = 500; !stop; wait = Math.min(wait * 2, 4000)) {
          this.send(request);
          await sleep(wait);
          const got = this.messages.slice(since).filter(matches);
          if (got.some((m) => (m.status ?? 0) >= 200 || method === 'INVITE')) break;
        }
      })();
    } else this.send(request);
    try {
      return await this.waitFor(
        (m) => matches(m) && (m.status ?? 0) >= 200,
        timeoutMs,
        since,
        `final response to ${method}`,
      );
    } finally {
      stop = true;
    }
  }

  /** A call with its own RTP sockets (one per stream, their ports go into the offer). */
  async call(offer: OfferSpec): Promise<SiprecCall> {
    const sockets = await Promise.all(offer.streams.map(() => bindUdp()));
    const call = new SiprecCall(this, offer, sockets);
    this.#calls.add(call);
    return call;
  }

  /**
   * A call whose INVITE is a fixture file: Request-URI, Via, Contact, Call-ID, c= and m= ports
   * are rewritten to this client, Content-Length recomputed. `tones[i]` is m-line i's tone.
   */
  async fixtureCall(path: string, tones: readonly number[] = []): Promise<SiprecCall> {
    const text = readFileSync(path, 'latin1');
    const mCount = (text.match(/^m=\S+ \d+/gm) ?? []).length;
    const sockets = await Promise.all(Array.from({ length: mCount }, () => bindUdp()));
    const call = new SiprecCall(this, { streams: [] }, sockets, { text, tones });
    this.#calls.add(call);
    return call;
  }

  async close(): Promise<void> {
    for (const c of this.#calls) c.closeMedia();
    for (const w of this.#waiters) this.#waiters.delete(w);
    if (this.#udp !== null) this.#udp.close();
    this.#tcp?.destroy();
  }

  #onTcpData(b: Buffer): void {
    this.#tcpBuf = Buffer.concat([this.#tcpBuf, b]);
    for (;;) {
      while (this.#tcpBuf[0] === 0x0d || this.#tcpBuf[0] === 0x0a) this.#tcpBuf = this.#tcpBuf.subarray(1);
      const end = this.#tcpBuf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.#tcpBuf.toString('latin1', 0, end);
      const len = Number(/^(?:content-length|l)\s*:\s*(\d+)/im.exec(head)?.[1] ?? 0);
      if (this.#tcpBuf.length < end + 4 + len) return;
      this.#receive(this.#tcpBuf.toString('latin1', 0, end + 4 + len));
      this.#tcpBuf = this.#tcpBuf.subarray(end + 4 + len);
    }
  }

  #receive(raw: string): void {
    const msg = parseSipMessage(raw);
    this.messages.push(msg);
    // Requests from the daemon (its BYE on shutdown or RTP timeout) get 200 OK, as an SBC would.
    if (msg.method !== null && msg.method !== 'ACK') {
      const copy = ['via', 'from', 'to', 'call-id', 'cseq'].flatMap((n) =>
        msg.headers.filter(([h]) => h === n).map(([h, v]) => `${h}: ${v}`),
      );
      this.send(`SIP/2.0 200 OK\r\n${copy.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`);
    }
    // A retransmitted 2xx means our ACK was lost: ACK again, or the daemon hangs up (64*T1).
    const cs = cseqOf(msg);
    if (msg.status !== null && msg.status < 300 && msg.status >= 200 && cs?.method === 'INVITE')
      for (const c of this.#calls) if (c.callId === header(msg, 'call-id')) c.reack(cs.n);
    for (const w of [...this.#waiters]) if (w.pred(msg)) w.resolve(msg);
  }
}

async function bindUdp(): Promise<Socket> {
  const s = createSocket('udp4');
  s.bind(0, HOST);
  await once(s, 'listening');
  return s;
}

// ---------------------------------------------------------------- one call

export interface ReofferOptions {
  /** Direction on every m-line. Default sendonly. */
  readonly direction?: 'sendonly' | 'inactive' | 'sendrecv';
  /** New rs-metadata to send along (a multipart re-INVITE). */
  readonly metadata?: string;
}

export class SiprecCall {
  readonly client: SiprecClient;
  readonly offer: OfferSpec;
  readonly sockets: readonly Socket[];
  readonly callId: string;
  readonly fromTag = rand(5);
  readonly inviteText: string;
  /** Tone per m-line (index). */
  readonly tones: readonly number[];
  /** Final response to the INVITE, once received. */
  final: SipMessage | null = null;
  /** performance.now() of the signalling steps, to tell set-up latency from recording length. */
  readonly timing = { inviteSentMs: 0, answeredMs: 0, byeSentMs: 0, byeAnsweredMs: 0 };
  answer: Answer | null = null;
  #toHeader = '';
  #fromHeader: string;
  #cseq: number;
  #inviteCseq: number;
  #inviteBranch = branch();
  #ruri: string;
  #sdpVersion = 1;
  readonly #acks = new Map<number, string>();

  constructor(
    client: SiprecClient,
    offer: OfferSpec,
    sockets: readonly Socket[],
    fixture?: { text: string; tones: readonly number[] },
  ) {
    this.client = client;
    this.offer = offer;
    this.sockets = sockets;
    this.#ruri = `sip:recorder@${HOST}:${client.target.port};transport=${client.transport}`;
    if (fixture !== undefined) {
      const r = rewriteFixture(fixture.text, client, this, this.#inviteBranch);
      this.callId = r.callId;
      this.#fromHeader = r.from;
      this.#cseq = this.#inviteCseq = r.cseq;
      this.inviteText = r.text;
      this.tones = fixture.tones;
      return;
    }
    this.callId = `${rand(10)}@cv-src.test`;
    this.#fromHeader = `<sip:src@${HOST}>;tag=${this.fromTag}`;
    this.#cseq = this.#inviteCseq = 1;
    this.tones = offer.streams.map((s) => s.toneHz);
    this.inviteText = this.#request(
      'INVITE',
      this.#inviteCseq,
      this.#inviteBranch,
      '',
      offer.rawBody ?? this.#body('sendonly', offer.metadata),
    );
  }

  #offerSdp(direction: string): string {
    const plain = this.offer.plain === true;
    return buildSdp(
      this.offer.streams.map((s, i) => ({
        label: plain ? null : s.label,
        port: this.sockets[i]!.address().port,
        codecs: [s.codec, ...(s.alsoOffer ?? [])],
        te: s.telephoneEvent ?? true,
      })),
      plain && direction === 'sendonly' ? 'sendrecv' : direction,
      this.#sdpVersion++,
    );
  }

  #body(direction: string, metadata: string | null | undefined): { type: string; body: string } {
    const sdp = this.#offerSdp(direction);
    if (this.offer.plain === true || metadata === null) return { type: 'application/sdp', body: sdp };
    return multipart(
      sdp,
      metadata ?? buildMetadata(this.offer),
      this.offer.metadataType ?? 'application/rs-metadata+xml',
    );
  }

  #request(
    method: string,
    cseq: number,
    br: string,
    to: string,
    body?: { type: string; body: string },
  ): string {
    const plain = this.offer.plain === true;
    const lines = [
      `${method} ${this.#ruri} SIP/2.0`,
      `Via: ${this.client.via(br)}`,
      'Max-Forwards: 70',
      `From: ${this.#fromHeader}`,
      `To: ${to || `<sip:recorder@${HOST}>`}`,
      `Call-ID: ${this.callId}`,
      `CSeq: ${cseq} ${method}`,
    ];
    if (method === 'INVITE' || method === 'UPDATE') {
      lines.push(`Contact: ${this.client.contact(!plain)}`);
      if (!plain) lines.push('Require: siprec');
      lines.push(...(this.offer.extraHeaders ?? []));
    }
    if (body !== undefined) lines.push(`Content-Type: ${body.type}`);
    const b = body?.body ?? '';
    return `${lines.join('\r\n')}\r\nContent-Length: ${Buffer.byteLength(b, 'latin1')}\r\n\r\n${b}`;
  }

  /** Sends the INVITE, ACKs a 2xx, parses the answer; resolves with the final status. */
  async invite(timeoutMs = 8000): Promise<number> {
    this.timing.inviteSentMs = performance.now();
    const res = await this.client.transact(
      this.inviteText,
      this.callId,
      this.#inviteCseq,
      'INVITE',
      timeoutMs,
    );
    this.final = res;
    this.timing.answeredMs = performance.now();
    this.#toHeader = header(res, 'to') ?? '';
    const status = res.status ?? 0;
    if (status >= 200 && status < 300) this.answer = parseAnswer(res.body);
    this.#ack(status >= 300 ? this.#inviteBranch : branch());
    return status;
  }

  /** ACK: for a non-2xx in the INVITE's transaction (same branch), for a 2xx a new one. */
  #ack(br: string): void {
    this.#acks.set(this.#inviteCseq, this.#request('ACK', this.#inviteCseq, br, this.#toHeader));
    this.client.send(this.#acks.get(this.#inviteCseq)!);
  }

  /** @internal The client saw a 2xx for INVITE `cseq` again. */
  reack(cseq: number): void {
    const ack = this.#acks.get(cseq);
    if (ack !== undefined) this.client.send(ack);
  }

  /** CANCEL of the pending INVITE (same branch and CSeq number); resolves with its status. */
  async cancel(): Promise<number> {
    const text = this.#request('CANCEL', this.#inviteCseq, this.#inviteBranch, '');
    return (await this.client.transact(text, this.callId, this.#inviteCseq, 'CANCEL')).status ?? 0;
  }

  /** re-INVITE with the same streams (and ports); resolves with the final status. */
  async reinvite(o: ReofferOptions = {}): Promise<number> {
    const cseq = ++this.#cseq;
    const text = this.#request(
      'INVITE',
      cseq,
      branch(),
      this.#toHeader,
      this.#body(o.direction ?? 'sendonly', o.metadata ?? null),
    );
    const res = await this.client.transact(text, this.callId, cseq, 'INVITE');
    const status = res.status ?? 0;
    if (status >= 200 && status < 300) this.answer = parseAnswer(res.body);
    this.#acks.set(cseq, this.#request('ACK', cseq, branch(), this.#toHeader));
    this.client.send(this.#acks.get(cseq)!);
    return status;
  }

  async bye(): Promise<number> {
    const cseq = ++this.#cseq;
    this.timing.byeSentMs = performance.now();
    const res = await this.client.transact(
      this.#request('BYE', cseq, branch(), this.#toHeader),
      this.callId,
      cseq,
      'BYE',
    );
    this.timing.byeAnsweredMs = performance.now();
    return res.status ?? 0;
  }

  /** The daemon's BYE for this call, if it sent one. */
  byeFromDaemon(): SipMessage | undefined {
    return this.client.messages.find((m) => m.method === 'BYE' && header(m, 'call-id') === this.callId);
  }

  /** Answered RTP port of m-line `index` (throws when rejected). */
  portOf(index: number): number {
    const s = this.answer?.streams[index];
    if (s === undefined || s.port === 0) throw new Error(`m-line ${index} was not answered`);
    return s.port;
  }

  /** Sends media for this call's streams (the offer's codecs and tones, or `codecs` for fixtures). */
  sendMedia(plan: MediaPlan): Promise<MediaReport> {
    if (this.answer === null) throw new Error('no answer');
    const answered = this.answer.streams.filter((s) => s.port !== 0);
    const lanes = answered.map((s) => {
      const spec = this.offer.streams[s.index];
      const codec = plan.codecs?.[s.index] ?? spec?.codec ?? 'PCMU';
      return {
        key: s.label ?? `m${s.index}`,
        socket: this.sockets[s.index]!,
        port: s.port,
        codec,
        toneHz: this.tones[s.index] ?? 440,
      };
    });
    return sendRtp(this.answer.host, lanes, plan);
  }

  closeMedia(): void {
    for (const s of this.sockets) {
      try {
        s.close();
      } catch {
        // already closed
      }
    }
  }
}

function rewriteFixture(
  text: string,
  client: SiprecClient,
  call: SiprecCall,
  br: string,
): { text: string; callId: string; from: string; cseq: number } {
  const split = text.indexOf('\r\n\r\n');
  const headLines = text.slice(0, split).split('\r\n');
  let body = text.slice(split + 4);
  let port = 0;
  body = body
    .replace(/^c=IN IP4 \S+/gm, `c=IN IP4 ${HOST}`)
    .replace(/^(m=\S+ )\d+/gm, (_m, pre: string) => `${pre}${call.sockets[port++]!.address().port}`);
  const callId = `${rand(4)}-${/^Call-ID:\s*(.*)$/im.exec(text)?.[1]?.trim() ?? rand(8)}`;
  let from = '';
  let cseq = 1;
  const out = headLines.map((line, i) => {
    if (i === 0) return line.replace(/^INVITE \S+/, `INVITE sip:recorder@${HOST}:${client.target.port}`);
    const name = line.slice(0, line.indexOf(':')).trim().toLowerCase();
    if (name === 'via') return `Via: ${client.via(br)}`;
    if (name === 'contact') return `Contact: ${client.contact(/\+sip\.src/.test(line))}`;
    if (name === 'call-id') return `Call-ID: ${callId}`;
    if (name === 'from') from = line.slice(line.indexOf(':') + 1).trim();
    if (name === 'cseq') cseq = Number(/(\d+)/.exec(line)?.[1] ?? 1);
    if (name === 'content-length') return `Content-Length: ${Buffer.byteLength(body, 'latin1')}`;
    return line;
  });
  return { text: `${out.join('\r\n')}\r\n\r\n${body}`, callId, from, cseq };
}

// ---------------------------------------------------------------- RTP

export interface DtmfSpec {
  /** m-line label (or `m<index>`) the events go on. */
  readonly label: string;
  readonly digit: string;
  readonly atMs: number;
  readonly durationMs: number;
}

export interface MediaPlan {
  readonly durationMs: number;
  /** Per m-line codec for fixture calls (the offer's own codec otherwise). */
  readonly codecs?: readonly AudioCodec[];
  /** Random loss in percent (seeded, so a run is reproducible). */
  readonly lossPct?: number;
  /** Share of packets (percent) sent after their successor. */
  readonly reorderPct?: number;
  readonly seed?: number;
  /** Windows with no RTP at all while timestamps keep advancing (hold), in ms from the start. */
  readonly gaps?: readonly { readonly fromMs: number; readonly toMs: number }[];
  readonly dtmf?: readonly DtmfSpec[];
  /** From this time on every stream uses a new SSRC with new sequence and timestamp bases. */
  readonly ssrcChangeAtMs?: number;
  /** Send an RTCP sender report per stream every this many ms, also during gaps. */
  readonly rtcpEveryMs?: number;
  /** Stop early when this returns true (checked every tick). */
  readonly stop?: () => boolean;
}

export interface MediaReport {
  /** ms of media time covered (frames × 20), gaps included. */
  readonly sentMs: number;
  /**
   * Most media (ms) sent in one burst because this process was starved (0 on a steady run): a
   * test of placement can tell the sender's slip from the recorder's.
   */
  readonly worstBurstMs: number;
  readonly packets: Readonly<Record<string, number>>;
  readonly lost: Readonly<Record<string, number>>;
}

interface Lane {
  readonly key: string;
  readonly socket: Socket;
  readonly port: number;
  readonly codec: AudioCodec;
  readonly toneHz: number;
}

const DTMF_EVENTS = '0123456789*#ABCD';

function tonePayload(lane: Lane, frame: number, g722: ReturnType<typeof createG722State>): Uint8Array {
  const rate = lane.codec === 'G722' ? 16000 : 8000;
  const n = rate / 50;
  const pcm = new Int16Array(n);
  for (let i = 0; i < n; i++)
    pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * lane.toneHz * (frame * n + i)) / rate));
  if (lane.codec === 'PCMU') return encodeUlaw(pcm);
  if (lane.codec === 'PCMA') return encodeAlaw(pcm);
  return encodeG722(g722, pcm);
}

function rtcpSenderReport(ssrc: number, rtpTs: number, packets: number, octets: number): Buffer {
  const b = Buffer.alloc(28);
  b[0] = 0x80;
  b[1] = 200;
  b.writeUInt16BE(6, 2);
  b.writeUInt32BE(ssrc >>> 0, 4);
  const ntp = Date.now() / 1000 + 2208988800;
  b.writeUInt32BE(Math.floor(ntp) >>> 0, 8);
  b.writeUInt32BE(Math.floor((ntp % 1) * 4294967296) >>> 0, 12);
  b.writeUInt32BE(rtpTs >>> 0, 16);
  b.writeUInt32BE(packets >>> 0, 20);
  b.writeUInt32BE(octets >>> 0, 24);
  return b;
}

/**
 * Paces 20 ms frames by performance.now() (catching up after a late wake-up, never drifting).
 * Timestamps advance through gaps and DTMF; DTMF packets share the stream's SSRC and sequence.
 */
async function sendRtp(host: string, lanes: readonly Lane[], plan: MediaPlan): Promise<MediaReport> {
  const random = prng(plan.seed ?? 1);
  const total = Math.round(plan.durationMs / 20);
  const state = lanes.map((lane, i) => ({
    lane,
    ssrc: (0x1000 + i * 7919 + (plan.seed ?? 0)) >>> 0,
    seq: (i * 1000) & 0xffff,
    tsBase: i * 3_000_000,
    frameBase: 0,
    g722: createG722State(),
    held: null as Buffer | null,
    packets: 0,
    octets: 0,
    lost: 0,
  }));
  const send = (st: (typeof state)[number], pkt: Buffer, lossy: boolean): void => {
    if (lossy && plan.lossPct !== undefined && random() * 100 < plan.lossPct) {
      st.lost++;
      st.seq = (st.seq + 1) & 0xffff;
      return;
    }
    st.seq = (st.seq + 1) & 0xffff;
    st.packets++;
    st.octets += pkt.length - 12;
    if (st.held !== null) {
      st.lane.socket.send(pkt, st.lane.port, host);
      st.lane.socket.send(st.held, st.lane.port, host);
      st.held = null;
    } else if (lossy && plan.reorderPct !== undefined && random() * 100 < plan.reorderPct) st.held = pkt;
    else st.lane.socket.send(pkt, st.lane.port, host);
  };
  const frameAt = (ms: number): number => Math.floor(ms / 20);
  const t0 = performance.now();
  let frame = 0;
  let nextRtcp = 0;
  let worstBurst = 0;
  while (frame < total && !(plan.stop?.() ?? false)) {
    const due = Math.min(total, Math.floor((performance.now() - t0) / 20) + 1);
    worstBurst = Math.max(worstBurst, due - frame);
    for (; frame < due; frame++) {
      const ms = frame * 20;
      if (plan.ssrcChangeAtMs !== undefined && frame === frameAt(plan.ssrcChangeAtMs)) {
        for (const st of state) {
          st.ssrc = (st.ssrc ^ 0x5a5a5a5a) >>> 0;
          st.seq = (st.seq + 20_000) & 0xffff;
          st.tsBase += 1_234_567;
        }
      }
      if (plan.gaps?.some((g) => ms >= g.fromMs && ms < g.toMs)) continue;
      for (const st of state) {
        const ts = (st.tsBase + frame * 160) >>> 0;
        const ev = plan.dtmf?.find(
          (d) => d.label === st.lane.key && ms >= d.atMs && ms < d.atMs + d.durationMs,
        );
        if (ev !== undefined) {
          const start = frameAt(ev.atMs);
          const evTs = (st.tsBase + start * 160) >>> 0;
          const dur = (frame - start + 1) * 160;
          const last = frame === frameAt(ev.atMs + ev.durationMs - 1);
          const code = DTMF_EVENTS.indexOf(ev.digit);
          for (let k = 0; k < (last ? 3 : 1); k++) {
            const payload = buildTelephoneEventPayload(code, last, 10, dur);
            send(
              st,
              buildRtpPacket({
                payloadType: TE_PT,
                seq: st.seq,
                timestamp: evTs,
                ssrc: st.ssrc,
                payload,
                marker: frame === start && k === 0,
              }),
              false,
            );
          }
          continue;
        }
        const payload = tonePayload(st.lane, frame, st.g722);
        send(
          st,
          buildRtpPacket({
            payloadType: PT[st.lane.codec],
            seq: st.seq,
            timestamp: ts,
            ssrc: st.ssrc,
            payload,
            marker: frame === 0,
          }),
          true,
        );
      }
    }
    if (plan.rtcpEveryMs !== undefined && performance.now() - t0 >= nextRtcp) {
      nextRtcp += plan.rtcpEveryMs;
      for (const st of state) {
        const ts = st.tsBase + frame * 160;
        st.lane.socket.send(rtcpSenderReport(st.ssrc, ts, st.packets, st.octets), st.lane.port + 1, host);
      }
    }
    await sleep(10);
  }
  for (const st of state) if (st.held !== null) st.lane.socket.send(st.held, st.lane.port, host);
  return {
    sentMs: frame * 20,
    // One or two frames per 10 ms tick are the steady state.
    worstBurstMs: worstBurst > 2 ? worstBurst * 20 : 0,
    packets: Object.fromEntries(state.map((s) => [s.lane.key, s.packets])),
    lost: Object.fromEntries(state.map((s) => [s.lane.key, s.lost])),
  };
}

// ---------------------------------------------------------------- analysis

/** RMS of one PCM16 channel over [fromS, toS): silence is ~0, the test tones are thousands. */
export function channelRms(wav: WavInfo, channel: number, fromS: number, toS: number): number {
  const frame = wav.channels * 2;
  const a = Math.max(0, Math.floor(fromS * wav.sampleRate));
  const b = Math.min(Math.floor(wav.data.length / frame), Math.floor(toS * wav.sampleRate));
  let sum = 0;
  for (let i = a; i < b; i++) sum += wav.data.readInt16LE(i * frame + channel * 2) ** 2;
  return b > a ? Math.sqrt(sum / (b - a)) : 0;
}

// ---------------------------------------------------------------- the daemon's side

/** The recording id the daemon logged for `callId` ("call answered"), or null. */
export function recordingIdFromLogs(logs: string, callId: string): string | null {
  for (const line of logs.split('\n')) {
    if (!line.includes('"call answered"') || !line.includes(callId)) continue;
    try {
      const o = JSON.parse(line) as { callId?: string; recordingId?: string };
      if (o.callId === callId && typeof o.recordingId === 'string') return o.recordingId;
    } catch {
      // not a JSON line
    }
  }
  return null;
}

export interface StreamStatsView {
  readonly packets: number;
  readonly lost: number;
  readonly late: number;
  readonly outOfOrder: number;
  readonly duplicates: number;
  readonly ssrcChanges: number;
  readonly dtmfEvents: number;
  readonly drops: Readonly<Record<string, number>>;
  readonly rtcp: { readonly packets: number };
}

/** The parts of `recordings show --json` these tests read. */
export interface RecordView {
  readonly id: string;
  readonly state: string;
  readonly durationMs: number;
  readonly direction: string;
  readonly service: string | null;
  readonly number: string | null;
  readonly numberWithheld: boolean;
  readonly agent: string | null;
  readonly agentName: string | null;
  readonly participants: readonly {
    role: string;
    name: string | null;
    number: string | null;
    withheld: boolean;
    side: string;
  }[];
  readonly flags: readonly string[];
  readonly format: { readonly channels: number; readonly sampleRate: number };
  readonly codec: string | null;
  readonly stats: {
    readonly endReason: string;
    readonly streams: Readonly<Record<string, StreamStatsView>>;
  } | null;
}

/**
 * Waits (bounded) until the recording of `callId` is finalised in the index and returns it.
 * `logs` is the daemon's output so far (RunningDaemon.logs).
 */
export async function finishedRecord(
  sets: readonly string[],
  logs: () => string,
  callId: string,
  timeoutMs = 15_000,
): Promise<RecordView> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const id = recordingIdFromLogs(logs(), callId);
    if (id !== null) {
      const r = await ctl(sets, ['recordings', 'show', id, '--json']);
      last = r.stdout + r.stderr;
      if (r.code === 0) {
        const rec = JSON.parse(r.stdout) as RecordView;
        if (rec.state !== 'recording' && rec.stats !== null) return rec;
      }
    }
    await sleep(300);
  }
  throw new Error(`no finished recording for ${callId} within ${timeoutMs} ms: ${last}`);
}

/** `callvaultctl export ID -o DIR/ID.wav --reason …`, then the WAV parsed independently. */
export async function exportWav(sets: readonly string[], id: string, dir: string): Promise<WavInfo> {
  const out = join(dir, `${id}.wav`);
  const r = await ctl(sets, ['export', id, '-o', out, '--reason', 'siprec e2e check', '--force']);
  if (r.code !== 0) throw new Error(`export ${id} failed: ${r.stdout}${r.stderr}`);
  return readWav(readFileSync(out));
}

/**
 * A random even RTP range of 400 ports for one daemon in 10000-19999: below the kernel's
 * ephemeral range (32768+, where freePort() picks SIP/API ports) and the default and dev
 * ranges (20000-29999) other daemons on the machine use, so parallel runs rarely share ports.
 */
export function rtpRangeSet(): string {
  const low = 10_000 + 2 * Math.floor(Math.random() * 4800);
  return `media.rtp_ports=${low}-${low + 399}`;
}

/**
 * The recording must be as long as the call the SBC saw (INVITE sent → BYE sent, ±toleranceMs),
 * and that call must be the media sent plus at most `slackMs` of signalling. On an idle machine
 * both equal mediaMs within a few ms; on a loaded one set-up latency shows up in the first check
 * only as slack, not as a false failure.
 */
export function assertRecordedLength(
  rec: { readonly durationMs: number },
  call: SiprecCall,
  mediaMs: number,
  what: string,
  toleranceMs = 200,
  slackMs = 1000,
): void {
  const seenMs = call.timing.byeSentMs - call.timing.inviteSentMs;
  assert.ok(
    Math.abs(rec.durationMs - seenMs) <= toleranceMs,
    `${what}: durationMs ${rec.durationMs}, call as the SBC saw it ${seenMs.toFixed(0)} ms (media ${mediaMs} ms)`,
  );
  assert.ok(
    seenMs >= mediaMs - 20 && seenMs <= mediaMs + slackMs,
    `${what}: call lasted ${seenMs.toFixed(0)} ms for ${mediaMs} ms of media`,
  );
  assert.ok(
    Math.abs(rec.durationMs - mediaMs) <= toleranceMs + (seenMs - mediaMs),
    `${what}: durationMs ${rec.durationMs} vs media ${mediaMs}`,
  );
}
