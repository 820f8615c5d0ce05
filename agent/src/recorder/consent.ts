/** Consent rules of the recorder that need no state: where a call starts, whose digits count. */
import type { Policy } from '../config/index.js';
import type { RtpStream } from '../media/index.js';
import type { Consent } from '../storage/index.js';
import type { RecordedStream } from './channels.js';

/** The consent a call starts with: the SBC may already have said (metadata, header). */
export function initialConsent(policy: Policy, signalled: string): Consent {
  if (policy.consent.mode === 'none') return 'not_required';
  return signalled === 'given' ? 'given' : signalled === 'declined' ? 'declined' : 'pending';
}

/**
 * Streams whose DTMF digits count as the caller's consent: those of the customer channel
 * (`customerChannel`, the recorder's left), or with one mixed stream that stream unless it is
 * the agent's. A digit the agent presses is not the customer's consent (seed 004).
 */
export function consentStreams(
  streams: readonly RecordedStream[],
  customerChannel: readonly RtpStream[],
): ReadonlySet<RtpStream> {
  if (streams.length === 1) return new Set(streams.filter((s) => s.side !== 'agent').map((s) => s.stream));
  return new Set(customerChannel);
}
