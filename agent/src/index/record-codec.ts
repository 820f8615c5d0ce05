/**
 * RecordingRecord ⇄ stored form. The stored form keeps the plain fields readable (search filters
 * them without decrypting), the personal ones sealed, and the blind tokens alongside so the
 * secondary keys of a stored record can be derived again without the field key (stale-entry
 * removal, consistency checks, erasure).
 */
import { IndexCorruptError, IndexDecryptError } from './errors.js';
import { openFields, sealFields } from './field-crypto.js';
import type { Blinder } from './field-crypto.js';
import { PREFIX, recKey, serviceToken, timeHex } from './keys.js';
import type { NormaliseOptions } from '../common/index.js';
import type { Participant, RecordingRecord } from './types.js';
import { canonicalRecord, numbersOf } from './record-validate.js';
import { contributionOf } from './stats-counters.js';
import type { Contribution } from './stats-counters.js';
import type { BatchOp } from './storage.js';

// Validation lives in record-validate.ts; these stay importable from here.
export { canonicalRecord, isValidId, numbersOf } from './record-validate.js';

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
