/**
 * DTMF on a recorded call: every new digit goes to the session (it is part of the call's
 * record), and while consent (policy.consent.mode = dtmf) is pending, the accept or decline
 * digit on the customer's stream decides it. The digits already handled are counted per
 * stream, so a tick reads only what is new.
 */
import type { Logger } from '../common/index.js';
import type { Policy } from '../config/index.js';
import type { Session } from '../session/index.js';
import type { RtpStream } from '../media/index.js';
import type { CallMetadata, Consent } from '../storage/index.js';
import type { RecordedStream } from './channels.js';
import { consentStreams } from './consent.js';

/** What a digit decides, with the evidence stored in the container's metadata. */
export type ConsentDecide = (
  next: 'given' | 'declined',
  evidence: NonNullable<CallMetadata['consentEvidence']>,
) => void;

export interface DtmfConsentOptions {
  readonly streams: readonly RecordedStream[];
  readonly policy: Policy;
  readonly session: Session;
  readonly log: Logger;
}

export class DtmfConsent {
  readonly #o: DtmfConsentOptions;
  /** Wall-clock ms of the recording's first sample: event offsets count from it. */
  readonly #startedMs: number;
  readonly #consentNow: () => Consent;
  readonly #decide: ConsentDecide;
  /** DTMF events already handled, per stream (same order as options.streams). */
  readonly #seen: number[];
  /** Streams whose digits count as the caller's consent (consent.ts). */
  readonly #customer: ReadonlySet<RtpStream>;

  constructor(
    o: DtmfConsentOptions,
    customerChannel: readonly RtpStream[],
    startedMs: number,
    consentNow: () => Consent,
    decide: ConsentDecide,
  ) {
    this.#o = o;
    this.#startedMs = startedMs;
    this.#consentNow = consentNow;
    this.#decide = decide;
    this.#seen = o.streams.map(() => 0);
    this.#customer = consentStreams(o.streams, customerChannel);
  }

  check(): void {
    const c = this.#o.policy.consent;
    const streams = this.#o.streams;
    for (let i = 0; i < streams.length; i++) {
      const s = streams[i]!;
      const seen = this.#seen[i]!;
      if (s.stream.dtmfEventCount === seen) continue;
      const events = s.stream.dtmfEvents();
      for (const ev of events.slice(seen)) {
        this.#o.session.dtmf({
          digit: ev.digit,
          at: new Date(this.#startedMs + ev.offsetMs),
          durationMs: ev.durationMs,
          streamLabel: s.label,
        });
        if (c.mode === 'dtmf' && this.#consentNow() === 'pending' && !this.#customer.has(s.stream)) {
          this.#o.log.info(
            { sessionId: this.#o.session.id, stream: s.label },
            "consent digit ignored: not on the customer's stream",
          );
        } else if (c.mode === 'dtmf' && this.#consentNow() === 'pending') {
          const evidence = {
            via: 'dtmf' as const,
            digit: ev.digit,
            stream: s.label,
            at: new Date(this.#startedMs + ev.offsetMs).toISOString(),
          };
          if (ev.digit === c.accept_digit) this.#decide('given', evidence);
          else if (ev.digit === c.decline_digit) this.#decide('declined', evidence);
        }
      }
      this.#seen[i] = events.length;
    }
  }
}
