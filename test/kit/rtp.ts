/**
 * The fake SBC's media: RTP paced in real time with a known tone per stream (µ-law, A-law,
 * G.722), seeded loss and reordering, hold gaps, RFC 4733 DTMF, SSRC changes and RTCP.
 */
import type { Socket } from 'node:dgram';
import {
  buildRtpPacket,
  buildTelephoneEventPayload,
  createG722State,
  encodeAlaw,
  encodeG722,
  encodeUlaw,
} from '../../agent/src/media/index.js';
import {
  PAYLOAD_TYPE as PT,
  TELEPHONE_EVENT_PT as TE_PT,
  type AudioCodec,
} from '../../agent/src/sbc/index.js';
import { sleep } from '../helpers/until.js';
import { mulberry32 as prng } from '../helpers/prng.js';

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

export interface Lane {
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
export async function sendRtp(host: string, lanes: readonly Lane[], plan: MediaPlan): Promise<MediaReport> {
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
