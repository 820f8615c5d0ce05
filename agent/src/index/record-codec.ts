/**
 * RecordingRecord ⇄ stored form. The stored form keeps the plain fields readable (search filters
 * them without decrypting), the personal ones sealed, and the blind tokens alongside so the
 * secondary keys of a stored record can be derived again without the field key (stale-entry
 * removal, consistency checks, erasure).
 */
import { IndexBadRecordError, IndexCorruptError, IndexDecryptError } from './errors.js';
import { openFields, sealFields } from './field-crypto.js';
import type { Blinder } from './field-crypto.js';
import { PREFIX, canonicalIsoMs, parseIsoMs, recKey, serviceToken, timeHex } from './keys.js';
import { normaliseNumber, type NormaliseOptions } from '../common/index.js';
import type { Participant, RecordingRecord } from './types.js';
import { canonicalQuality } from './quality.js';
import { contributionOf } from './stats-counters.js';
import type { Contribution } from './stats-counters.js';
import type { BatchOp } from './storage.js';

export interface StoredRecord {
  readonly v: 1;
  readonly id: string;
  readonly source: RecordingRecord['source'];
  readonly state: RecordingRecord['state'];
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly durationMs: number;
  readonly direction: RecordingRecord['direction'];
  readonly service: string | null;
  readonly numberWithheld: boolean;
  readonly policy: string;
  readonly expiresAt: string | null;
  readonly flags: readonly string[];
  readonly format: RecordingRecord['format'];
  readonly codec: string | null;
  readonly stats: Record<string, unknown> | null;
  readonly digest: string | null;
  readonly signature: string | null;
  readonly legalHold: boolean;
  readonly restricted: boolean;
  readonly consent: RecordingRecord['consent'];
  readonly ce?: RecordingRecord['consentEvidence'];
  readonly cc?: string | null;
  /** Call quality (index/quality.ts); absent when none. */
  readonly ql?: RecordingRecord['quality'];
  /** 'r': `p` is sealed under the recording's own key (crypto-shredded with its data key). */
  readonly k?: 'r';
  /** The agent's statistics group (stats-counters.ts): a configured name, not personal. */
  readonly sg?: string;
  /** Start and expiry in ms: what the filters compare. */
  readonly sm: number;
  readonly em: number | null;
  /** Blind tokens: numbers (deduplicated), agent, case. */
  readonly nb: readonly string[];
  readonly ab: string | null;
  readonly cb: string | null;
  /** Sealed {number, agent, agentName, participants, caseId}. */
  readonly p: string;
}

interface PersonalFields {
  number: string | null;
  agent: string | null;
  agentName: string | null;
  participants: readonly Participant[];
  caseId: string | null;
}

export interface FieldKeys {
  readonly blind: Blinder;
  readonly fieldKey: Buffer;
  /** The statistics group of an agent (api.stats_agent_groups), stored as `sg`. */
  readonly group?: (agent: string | null) => string;
}

const ID_RE = /^[A-Za-z0-9._-]{1,128}$/;
const SOURCES = new Set(['siprec', 'tap', 'import']);
const STATES = new Set(['recording', 'complete', 'recovered']);
const DIRECTIONS = new Set(['inbound', 'outbound', 'unknown']);
const CONSENTS = new Set(['given', 'declined', 'pending', 'not_required']);
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
  allowed: Set<string>,
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

/** The stored form of a canonical record (see canonicalRecord). */
/** `recordKey`: the recording's own key (IndexOptions.recordKeys); absent → keys.fieldKey. */
export function encodeRecord(rec: RecordingRecord, keys: FieldKeys, recordKey?: Buffer): StoredRecord {
  const personal: PersonalFields = {
    number: rec.number,
    agent: rec.agent,
    agentName: rec.agentName,
    participants: rec.participants,
    caseId: rec.caseId,
  };
  return {
    v: 1,
    id: rec.id,
    source: rec.source,
    state: rec.state,
    startedAt: rec.startedAt,
    endedAt: rec.endedAt,
    durationMs: rec.durationMs,
    direction: rec.direction,
    service: rec.service,
    numberWithheld: rec.numberWithheld,
    policy: rec.policy,
    expiresAt: rec.expiresAt,
    flags: rec.flags,
    format: rec.format,
    codec: rec.codec,
    stats: rec.stats,
    digest: rec.digest,
    signature: rec.signature,
    legalHold: rec.legalHold,
    restricted: rec.restricted,
    consent: rec.consent,
    ...(rec.consentEvidence ? { ce: rec.consentEvidence } : {}),
    ...(rec.caseClosedAt ? { cc: rec.caseClosedAt } : {}),
    ...(rec.quality ? { ql: rec.quality } : {}),
    ...(recordKey !== undefined ? { k: 'r' as const } : {}),
    ...(keys.group !== undefined ? { sg: keys.group(rec.agent) } : {}),
    sm: Date.parse(rec.startedAt),
    em: rec.expiresAt === null ? null : Date.parse(rec.expiresAt),
    nb: numbersOf(rec).map((n) => keys.blind('number', n)),
    ab: rec.agent === null ? null : keys.blind('agent', rec.agent),
    cb: rec.caseId === null ? null : keys.blind('case', rec.caseId),
    p: sealFields(recordKey ?? keys.fieldKey, rec.id, personal),
  };
}

/** The secondary keys a stored record must have, derived without the field key. */
export function entryKeys(s: StoredRecord): string[] {
  const tail = `${timeHex(s.sm)}!${s.id}`;
  const keys = [PREFIX.time + tail];
  for (const nb of s.nb) keys.push(`${PREFIX.number}${nb}!${tail}`);
  if (s.ab !== null) keys.push(`${PREFIX.agent}${s.ab}!${tail}`);
  if (s.cb !== null) keys.push(`${PREFIX.caseId}${s.cb}!${tail}`);
  if (s.service !== null) keys.push(`${PREFIX.service}${serviceToken(s.service)}!${tail}`);
  if (s.em !== null) keys.push(`${PREFIX.expiry}${timeHex(s.em)}!${tail}`);
  return keys;
}

/**
 * A record sealed and serialised ahead of the write queue, with the secondary keys it needs.
 * Only strings: the objects it came from are garbage at once, not kept alive through the queue
 * (copying them in every young-generation collection was a fifth of the insert path's time).
 */
export interface PreparedRecord {
  readonly id: string;
  readonly value: string;
  readonly keys: readonly string[];
  /** Its share of the statistics counters. */
  readonly stat: Contribution | null;
}

export function prepareStored(stored: StoredRecord): PreparedRecord {
  return {
    id: stored.id,
    value: JSON.stringify(stored),
    keys: entryKeys(stored),
    stat: contributionOf(stored),
  };
}

export function prepareRecord(
  rec: RecordingRecord,
  keys: FieldKeys,
  recordKey?: Buffer,
  numbers: NormaliseOptions = {},
): PreparedRecord {
  return prepareStored(encodeRecord(canonicalRecord(rec, numbers), keys, recordKey));
}

/** Batch operations writing `next` over `prev` (null when new): stale entries are deleted. */
export type { BatchOp };

export function putOps(prev: StoredRecord | null, next: StoredRecord): BatchOp[] {
  const ops: BatchOp[] = [];
  pushPutOps(ops, prev, next);
  return ops;
}

/** putOps appending to `ops`: a bulk write builds one array without copying per record. */
export function pushPutOps(ops: BatchOp[], prev: StoredRecord | null, next: StoredRecord): void {
  const nextKeys = entryKeys(next);
  if (prev !== null) {
    for (const k of entryKeys(prev)) if (!nextKeys.includes(k)) ops.push({ type: 'del', key: k });
  }
  ops.push({ type: 'put', key: recKey(next.id), value: JSON.stringify(next) });
  for (const k of nextKeys) ops.push({ type: 'put', key: k, value: '' });
}

export function parseStored(id: string, value: string): StoredRecord {
  let s: StoredRecord;
  try {
    s = JSON.parse(value) as StoredRecord;
  } catch (cause) {
    throw new IndexCorruptError(`recording ${id} is unreadable`, { cause, context: { recordingId: id } });
  }
  if (
    typeof s !== 'object' ||
    s === null ||
    s.v !== 1 ||
    s.id !== id ||
    typeof s.sm !== 'number' ||
    typeof s.p !== 'string' ||
    !Array.isArray(s.nb)
  ) {
    throw new IndexCorruptError(`recording ${id} has an unknown shape`, { context: { recordingId: id } });
  }
  return s;
}

/** What a record sealed under a destroyed recording key still shows: no personal field. */
const SHREDDED: PersonalFields = {
  number: null,
  agent: null,
  agentName: null,
  participants: [],
  caseId: null,
};

/**
 * `recordKey`: the recording's own key, needed when the record was sealed under one (`k: 'r'`);
 * when that key is gone (erased) the record reads without its personal fields.
 */
export function decodeRecord(s: StoredRecord, fieldKey: Buffer, recordKey?: Buffer): RecordingRecord {
  let personal: PersonalFields;
  if (s.k === 'r' && recordKey === undefined) personal = SHREDDED;
  else {
    try {
      personal = openFields(s.k === 'r' ? (recordKey as Buffer) : fieldKey, s.id, s.p) as PersonalFields;
    } catch (cause) {
      throw new IndexDecryptError(s.id, { cause });
    }
  }
  return {
    id: s.id,
    source: s.source,
    state: s.state,
    startedAt: s.startedAt,
    endedAt: s.endedAt,
    durationMs: s.durationMs,
    direction: s.direction,
    service: s.service,
    number: personal.number,
    numberWithheld: s.numberWithheld,
    agent: personal.agent,
    agentName: personal.agentName,
    participants: personal.participants,
    caseId: personal.caseId,
    policy: s.policy,
    expiresAt: s.expiresAt,
    flags: s.flags,
    format: s.format,
    codec: s.codec,
    stats: s.stats,
    digest: s.digest,
    signature: s.signature,
    legalHold: s.legalHold,
    restricted: s.restricted,
    consent: s.consent,
    consentEvidence: s.ce ?? null,
    caseClosedAt: s.cc ?? null,
    quality: s.ql ?? null,
  };
}
