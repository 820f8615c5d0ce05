/**
 * The checks a RecordingRecord passes before it is indexed, and its canonical form: normalised
 * numbers (in the configured default country), ISO times in UTC, copies of every array and
 * object, so what is stored does not depend on how the caller spelled it.
 */
import { IndexBadRecordError } from './errors.js';
import { canonicalIsoMs, parseIsoMs } from './keys.js';
import { normaliseNumber, type NormaliseOptions } from '../common/index.js';
import type { Participant, RecordingRecord } from './types.js';
import { canonicalQuality } from './quality.js';

const ID_RE = /^[A-Za-z0-9._-]{1,128}$/;
const SOURCES: ReadonlySet<string> = new Set(['siprec', 'tap', 'import']);
const STATES: ReadonlySet<string> = new Set(['recording', 'complete', 'recovered']);
const DIRECTIONS: ReadonlySet<string> = new Set(['inbound', 'outbound', 'unknown']);
const CONSENTS: ReadonlySet<string> = new Set(['given', 'declined', 'pending', 'not_required']);
const MAX_TEXT = 1024;

export function isValidId(id: unknown): id is string {
  return typeof id === 'string' && ID_RE.test(id);
}

function text(rec: RecordingRecord, field: keyof RecordingRecord, nullable: boolean): string | null {
  const v = rec[field];
  if (v === null && nullable) return null;
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_TEXT) {
    throw new IndexBadRecordError(field, `must be a non-empty string${nullable ? ' or null' : ''}`, rec.id);
  }
  return v;
}

function bool(rec: RecordingRecord, field: keyof RecordingRecord): boolean {
  if (typeof rec[field] !== 'boolean') throw new IndexBadRecordError(field, 'must be a boolean', rec.id);
  return rec[field] as boolean;
}

function oneOf<T extends string>(
  rec: RecordingRecord,
  field: keyof RecordingRecord,
  allowed: ReadonlySet<string>,
): T {
  const v = rec[field];
  if (typeof v !== 'string' || !allowed.has(v)) {
    throw new IndexBadRecordError(field, `must be one of ${[...allowed].join(', ')}`, rec.id);
  }
  return v as T;
}

function isoTime(
  rec: RecordingRecord,
  field: 'startedAt' | 'endedAt' | 'expiresAt' | 'caseClosedAt',
  nullable: boolean,
): string | null {
  const v = rec[field];
  if (v === null && nullable) return null;
  if (typeof v === 'string' && canonicalIsoMs(v) !== null) return v;
  const ms = parseIsoMs(v);
  if (ms === null) throw new IndexBadRecordError(field, 'must be an ISO 8601 time', rec.id);
  return new Date(ms).toISOString();
}

function participantsOf(rec: RecordingRecord, numbers: NormaliseOptions): Participant[] {
  if (!Array.isArray(rec.participants))
    throw new IndexBadRecordError('participants', 'must be an array', rec.id);
  return rec.participants.map((p: Participant) => {
    const ok =
      typeof p === 'object' &&
      p !== null &&
      (p.role === 'caller' || p.role === 'callee') &&
      (p.side === 'customer' || p.side === 'agent') &&
      (p.name === null || typeof p.name === 'string') &&
      (p.number === null || typeof p.number === 'string') &&
      typeof p.withheld === 'boolean';
    if (!ok)
      throw new IndexBadRecordError('participants', 'each needs role, side, name, number, withheld', rec.id);
    // An unparseable participant number (e.g. "anonymous") is kept as given and not indexed.
    const number = p.number === null ? null : (normaliseNumber(p.number, numbers) ?? p.number);
    return { role: p.role, name: p.name, number, withheld: p.withheld, side: p.side };
  });
}

/**
 * Checks every field and returns the canonical record (normalised number, ISO times in UTC).
 * `numbers`: the default country (sip.default_country) that national numbers are read in.
 */
export function canonicalRecord(rec: RecordingRecord, numbers: NormaliseOptions = {}): RecordingRecord {
  if (typeof rec !== 'object' || rec === null)
    throw new IndexBadRecordError('id', 'record must be an object');
  if (!isValidId(rec.id)) throw new IndexBadRecordError('id', 'must match [A-Za-z0-9._-]{1,128}');
  let number: string | null = null;
  if (rec.number !== null) {
    number = typeof rec.number === 'string' ? normaliseNumber(rec.number, numbers) : null;
    if (number === null) throw new IndexBadRecordError('number', 'must be a phone number or null', rec.id);
  }
  if (typeof rec.durationMs !== 'number' || !Number.isFinite(rec.durationMs) || rec.durationMs < 0) {
    throw new IndexBadRecordError('durationMs', 'must be a non-negative number', rec.id);
  }
  if (!Array.isArray(rec.flags) || !rec.flags.every((f) => typeof f === 'string')) {
    throw new IndexBadRecordError('flags', 'must be an array of strings', rec.id);
  }
  const f = rec.format;
  if (
    typeof f !== 'object' ||
    f === null ||
    typeof f.encoding !== 'string' ||
    !Number.isInteger(f.channels) ||
    !Number.isInteger(f.sampleRate)
  ) {
    throw new IndexBadRecordError('format', 'needs encoding, integer channels and sampleRate', rec.id);
  }
  if (rec.stats !== null && (typeof rec.stats !== 'object' || Array.isArray(rec.stats))) {
    throw new IndexBadRecordError('stats', 'must be an object or null', rec.id);
  }
  return {
    id: rec.id,
    source: oneOf(rec, 'source', SOURCES),
    state: oneOf(rec, 'state', STATES),
    startedAt: isoTime(rec, 'startedAt', false) as string,
    endedAt: isoTime(rec, 'endedAt', true),
    durationMs: rec.durationMs,
    direction: oneOf(rec, 'direction', DIRECTIONS),
    service: text(rec, 'service', true),
    number,
    numberWithheld: bool(rec, 'numberWithheld'),
    agent: text(rec, 'agent', true),
    agentName: text(rec, 'agentName', true),
    participants: participantsOf(rec, numbers),
    caseId: text(rec, 'caseId', true),
    policy: text(rec, 'policy', false) as string,
    expiresAt: isoTime(rec, 'expiresAt', true),
    flags: [...rec.flags],
    format: { encoding: f.encoding, channels: f.channels, sampleRate: f.sampleRate },
    codec: text(rec, 'codec', true),
    stats: rec.stats === null ? null : { ...rec.stats },
    digest: text(rec, 'digest', true),
    signature: text(rec, 'signature', true),
    legalHold: bool(rec, 'legalHold'),
    restricted: bool(rec, 'restricted'),
    consent: oneOf(rec, 'consent', CONSENTS),
    consentEvidence: evidenceOf(rec),
    caseClosedAt: rec.caseClosedAt == null ? null : isoTime(rec, 'caseClosedAt', false),
    quality: canonicalQuality(rec),
  };
}

function evidenceOf(rec: RecordingRecord): RecordingRecord['consentEvidence'] {
  const e = rec.consentEvidence;
  if (e === undefined || e === null) return null;
  const ok =
    typeof e === 'object' &&
    (e.via === 'dtmf' || e.via === 'metadata' || e.via === 'import') &&
    (e.digit === null || (typeof e.digit === 'string' && e.digit.length <= 4)) &&
    (e.stream === null || (typeof e.stream === 'string' && e.stream.length <= MAX_TEXT)) &&
    parseIsoMs(e.at) !== null;
  if (!ok)
    throw new IndexBadRecordError('consentEvidence', 'needs via, digit, stream and an ISO time at', rec.id);
  return {
    via: e.via,
    digit: e.digit,
    stream: e.stream,
    at: new Date(parseIsoMs(e.at) as number).toISOString(),
  };
}

/**
 * The customer-side numbers of a record (the customer number and customer participants):
 * what a number search matches. Agent-side numbers are extensions, found through the agent index.
 */
export function numbersOf(rec: RecordingRecord, numbers: NormaliseOptions = {}): string[] {
  const all = [rec.number, ...rec.participants.filter((p) => p.side === 'customer').map((p) => p.number)];
  const out = new Set<string>();
  for (const n of all) {
    const norm = n === null ? null : normaliseNumber(n, numbers);
    if (norm !== null) out.add(norm);
  }
  return [...out];
}
