/**
 * The parsed SDP model (RFC 8866) that parseSdp() produces and answerFor() reads.
 */
import type { MediaDirection } from '../session/index.js';

export interface SdpConnection {
  readonly addrType: 'IP4' | 'IP6';
  /** Without any /ttl or /count suffix. */
  readonly address: string;
}

export interface SdpOrigin {
  readonly username: string;
  /** Kept as text: these are often 64-bit and only ever compared or incremented as strings. */
  readonly sessionId: string;
  readonly sessionVersion: string;
  readonly addrType: string;
  readonly address: string;
}

export interface SdpRtpMap {
  readonly payloadType: number;
  readonly encoding: string;
  readonly clockRate: number;
  readonly channels: number;
}

export interface SdpCrypto {
  readonly tag: number;
  readonly suite: string;
  /** 'inline:<key||salt>[|lifetime][|MKI:len]' as offered. */
  readonly keyParams: string;
  readonly sessionParams: readonly string[];
}

export interface SdpAttribute {
  readonly name: string;
  readonly value: string | null;
  /** 1-based line in the SDP body. */
  readonly line: number;
}

export interface SdpMedia {
  /** Position among m-lines, from 0. */
  readonly index: number;
  readonly line: number;
  readonly type: string;
  readonly port: number;
  readonly portCount: number;
  readonly protocol: string;
  readonly formats: readonly string[];
  /** Media-level c= or else the session-level one. */
  readonly connection: SdpConnection | null;
  readonly label: string | null;
  /** Media-level direction, else session-level, else sendrecv (RFC 8866 §6.7). */
  readonly direction: MediaDirection;
  /** Explicit a=rtpmap lines plus the RFC 3551 static payload types listed without one. */
  readonly rtpmaps: readonly SdpRtpMap[];
  readonly fmtps: ReadonlyMap<number, string>;
  readonly crypto: readonly SdpCrypto[];
  readonly ptimeMs: number | null;
  readonly maxptimeMs: number | null;
  readonly rtcp: { readonly port: number; readonly address: string | null } | null;
  readonly attributes: readonly SdpAttribute[];
}

export interface SdpSession {
  readonly origin: SdpOrigin;
  readonly sessionName: string;
  readonly connection: SdpConnection | null;
  readonly direction: MediaDirection | null;
  readonly attributes: readonly SdpAttribute[];
  readonly media: readonly SdpMedia[];
}
