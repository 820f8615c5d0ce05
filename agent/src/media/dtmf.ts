/**
 * RFC 4733 telephone-events. One event is a run of packets sharing an RTP timestamp (the
 * event's start) with a growing duration; its end is sent three times with the E bit. We
 * report each event once, at its end, or when a newer event or audio shows the end was lost.
 */

const DIGITS = '0123456789*#ABCD';

export interface DtmfEvent {
  /** '0'–'9', '*', '#', 'A'–'D', or 'flash' (event 16). */
  readonly digit: string;
  /** RFC 4733 event code. */
  readonly event: number;
  /** RTP timestamp of the event's first packet. */
  readonly startTs: number;
  /** Position of the start in the stream's output, ms after its wall-clock origin. */
  readonly offsetMs: number;
  readonly durationMs: number;
  /** Power level, 0 to -63 dBm0 (sent as its magnitude). */
  readonly volumeDbm0: number;
  /** False when no E-bit packet arrived (the end was lost or the stream ended). */
  readonly ended: boolean;
}

/** One payload, filled in place. */
export interface TelephoneEventPayload {
  event: number;
  end: boolean;
  volume: number;
  /** In RTP timestamp units. */
  duration: number;
}

export function createTelephoneEventPayload(): TelephoneEventPayload {
  return { event: 0, end: false, volume: 0, duration: 0 };
}

/** RFC 4733 §2.3 layout; false if the payload is shorter than 4 bytes. */
export function parseTelephoneEvent(
  buf: Uint8Array,
  off: number,
  len: number,
  out: TelephoneEventPayload,
): boolean {
  if (len < 4) return false;
  out.event = buf[off]!;
  out.end = (buf[off + 1]! & 0x80) !== 0;
  out.volume = buf[off + 1]! & 0x3f;
  out.duration = (buf[off + 2]! << 8) | buf[off + 3]!;
  return true;
}

export function digitForEvent(event: number): string | undefined {
  if (event < 16) return DIGITS[event];
  return event === 16 ? 'flash' : undefined;
}

/** Per-stream tracking state: mutated by the two functions below, nothing else. */
export interface DtmfTracker {
  active: boolean;
  event: number;
  startTs: number;
  offsetMs: number;
  duration: number;
  volume: number;
  /** Start timestamp of the last event reported, so its retransmitted ends are ignored. */
  lastReportedTs: number;
  hasReported: boolean;
  readonly events: DtmfEvent[];
}

export function createDtmfTracker(): DtmfTracker {
  return {
    active: false,
    event: 0,
    startTs: 0,
    offsetMs: 0,
    duration: 0,
    volume: 0,
    lastReportedTs: 0,
    hasReported: false,
    events: [],
  };
}

function report(t: DtmfTracker, clockRate: number, ended: boolean): void {
  const digit = digitForEvent(t.event);
  t.active = false;
  t.hasReported = true;
  t.lastReportedTs = t.startTs;
  if (digit === undefined) return;
  t.events.push({
    digit,
    event: t.event,
    startTs: t.startTs,
    offsetMs: t.offsetMs,
    durationMs: Math.round((t.duration * 1000) / clockRate),
    volumeDbm0: -t.volume,
    ended,
  });
}

/**
 * Feeds one telephone-event packet. `offsetMs` is where the packet's timestamp falls in the
 * stream's output; only the first packet's value is kept.
 */
export function trackTelephoneEvent(
  t: DtmfTracker,
  p: TelephoneEventPayload,
  ts: number,
  offsetMs: number,
  clockRate: number,
): void {
  if (t.active && ts !== t.startTs) report(t, clockRate, false);
  if (!t.active) {
    if (t.hasReported && ts === t.lastReportedTs) return;
    t.active = true;
    t.event = p.event;
    t.startTs = ts;
    t.offsetMs = offsetMs;
    t.duration = 0;
  }
  if (p.duration > t.duration) t.duration = p.duration;
  t.volume = p.volume;
  if (p.end) report(t, clockRate, true);
}

/** Closes an event whose end packets never came (audio resumed, or the stream ends). */
export function flushDtmf(t: DtmfTracker, clockRate: number): void {
  if (t.active) report(t, clockRate, false);
}
