/**
 * Call admission as a pure function: the facts call set-up has gathered in, accept or the first
 * refusal in precedence order out. No I/O, no clock: the CallManager measures (free disk, loop
 * lag, live calls) and this decides, so every refusal and its precedence is tested with a table.
 *
 * Facts arrive in stages: those about the recorder before the body is read, `hasSdp` once it is
 * split, `direction` once the offer is planned and its metadata read. A fact not known yet is
 * left out and passes; set-up calls admit() again at each stage, and the last call, with every
 * fact, accepts. (Untrusted sources never get here: the SIP stack answers them 403.)
 */
import type { CallDirection } from '../session/index.js';
import type { RefusalCode } from './errors.js';

export interface AdmissionState {
  /** The daemon is shutting down. */
  readonly closed: boolean;
  /** Free space below storage.min_free_bytes. */
  readonly diskLow: boolean;
  /** Calls live or being set up, this one excluded. */
  readonly calls: number;
  /** sip.max_calls; 0 means no limit. */
  readonly maxCalls: number;
  /** Event-loop lag now (p99 over the last window, ms). */
  readonly loopLagMs: number;
  /** sip.overload_lag_ms; 0 turns lag shedding off. */
  readonly overloadLagMs: number;
  /** The Call-ID is already a live call or one being set up. */
  readonly duplicateCallId: boolean;
  /** The INVITE is a SIPREC recording session (Require/Supported siprec, or +sip.src). */
  readonly siprec: boolean;
  /** sip.accept_plain_invite. */
  readonly acceptPlainInvite: boolean;
  /** policy.record_outbound (the storage's policy: SIGHUP may have replaced it). */
  readonly recordOutbound: boolean;
  /** The body carries an SDP offer; unknown until the body is split. */
  readonly hasSdp?: boolean;
  /** The call's direction; unknown until the offer is planned and its metadata read. */
  readonly direction?: CallDirection;
}

export type Admission = { readonly accept: true } | { readonly refuse: RefusalCode };

const ACCEPT: Admission = Object.freeze({ accept: true });

/** The first refusal that applies, most general first: the recorder's state, then the offer's. */
export function admit(s: AdmissionState): Admission {
  const refuse = (code: RefusalCode): Admission => ({ refuse: code });
  if (s.closed) return refuse('shutting_down');
  if (s.diskLow) return refuse('disk_full');
  // Load shedding before the calls already up lose packets: a hard cap, then event-loop lag.
  if (s.maxCalls > 0 && s.calls >= s.maxCalls) return refuse('max_calls');
  if (s.overloadLagMs > 0 && s.loopLagMs > s.overloadLagMs) return refuse('overload');
  if (s.duplicateCallId) return refuse('duplicate_call_id');
  if (!s.siprec && !s.acceptPlainInvite) return refuse('not_siprec');
  if (s.hasSdp === false) return refuse('no_sdp');
  if (s.direction === 'outbound' && !s.recordOutbound) return refuse('outbound_not_recorded');
  return ACCEPT;
}
