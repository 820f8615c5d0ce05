/**
 * One call of the fake SBC: the INVITE built from an offer (or a vendor fixture with its
 * addresses rewritten), ACK, CANCEL, re-INVITE, BYE, the answer, and RTP towards the answered
 * ports through the call's own sockets (one per stream; their ports go into the offer).
 */
import type { Socket } from 'node:dgram';
import { sipMessage, type MessageBody } from '../../agent/src/sbc/index.js';
import type { SiprecClient } from './client.js';
import { offerBody, parseAnswer, type Answer, type MediaDirection, type OfferSpec } from './offer.js';
import { sendRtp, type MediaPlan, type MediaReport } from './rtp.js';
import { HOST, branch, header, rand, type SipMessage } from './wire.js';

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

  #body(direction: MediaDirection, metadata: string | null | undefined): MessageBody {
    const ports = this.sockets.map((s) => s.address().port);
    return offerBody(this.offer, ports, direction, this.#sdpVersion++, metadata);
  }

  #request(method: string, cseq: number, br: string, to: string, body?: MessageBody): string {
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
    return sipMessage(lines, body, 'latin1');
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
