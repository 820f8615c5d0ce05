/**
 * The call description a recording carries, and how it becomes an index record.
 *
 * The same description is stored twice: encrypted inside the container's metadata record (so
 * `index rebuild` can recreate the index from the vault alone) and in the index (where personal
 * fields are encrypted and blind-indexed). The vault is the source of truth.
 */
import type { Policy } from '../config/index.js';
import type { Vault } from '../vault/index.js';
import type { RecordingRecord } from '../index/index.js';
import { normaliseNumber, type NormaliseOptions } from '../common/index.js';
import { BadMetadataError } from './errors.js';
import { applyDpoState, expiryWithCase, readDpoState, type DpoState } from './dpo-state.js';

export type Direction = 'inbound' | 'outbound' | 'unknown';
export type Consent = 'given' | 'declined' | 'pending' | 'not_required';

export interface CallMetadata {
  readonly v: 1;
  readonly source: RecordingRecord['source'];
  readonly startedAt: string;
  readonly direction: Direction;
  readonly service: string | null;
  readonly number: string | null;
  readonly numberWithheld: boolean;
  readonly agent: string | null;
  readonly agentName: string | null;
  readonly participants: RecordingRecord['participants'];
  readonly caseId: string | null;
  readonly policy: string;
  readonly consent: Consent;
  /** How consent was decided (digit, stream, time); absent in containers written before it. */
  readonly consentEvidence?: RecordingRecord['consentEvidence'];
  readonly codec: string | null;
  readonly flags: readonly string[];
  /** Media quality at finalisation (recorder/media-outcome.ts); absent in imports and older containers. */
  readonly quality?: RecordingRecord['quality'];
}

const DAY_MS = 86_400_000;
const META_FIELDS: ReadonlySet<string> = new Set([
  'number',
  'agent',
  'agentName',
  'service',
  'direction',
  'startedAt',
  'consent',
  'caseId',
]);

function optionalString(obj: Record<string, unknown>, field: string, maxLength = 200): string | null {
  const value = obj[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw new BadMetadataError(field, `must be a non-empty string of at most ${maxLength} characters`);
  }
  return value;
}

/** Validates `callvaultctl import FILE.wav --meta JSON` (ARCHITECTURE ✦ Commands). */
export function parseImportMeta(
  json: string | undefined,
  policy: Policy,
  now: Date,
  numbers: NormaliseOptions = {},
): CallMetadata {
  let obj: Record<string, unknown> = {};
  if (json !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      throw new BadMetadataError('(json)', 'is not valid JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new BadMetadataError('(json)', 'must be a JSON object');
    }
    obj = parsed as Record<string, unknown>;
  }
  for (const key of Object.keys(obj)) {
    if (!META_FIELDS.has(key))
      throw new BadMetadataError(key, `unknown field; known: ${[...META_FIELDS].join(', ')}`);
  }
  const rawNumber = optionalString(obj, 'number', 40);
  const number = rawNumber === null ? null : normaliseNumber(rawNumber, numbers);
  if (rawNumber !== null && (number === null || !/^\+[1-9]\d{1,14}$/.test(number))) {
    throw new BadMetadataError('number', 'must be an E.164 number such as +46812345678');
  }
  const direction = obj['direction'] ?? 'inbound';
  if (direction !== 'inbound' && direction !== 'outbound') {
    throw new BadMetadataError('direction', 'must be "inbound" or "outbound"');
  }
  // The same rule as a live call (calls/call-manager.ts): what the policy does not record is not
  // imported either.
  if (direction === 'outbound' && !policy.record_outbound) {
    throw new BadMetadataError(
      'direction',
      `outbound: policy ${policy.name} does not record outbound calls (record_outbound is false)`,
    );
  }
  const startedRaw = optionalString(obj, 'startedAt', 40);
  const startedAt = startedRaw === null ? now : new Date(startedRaw);
  if (Number.isNaN(startedAt.getTime()) || (startedRaw !== null && !/^\d{4}-\d\d-\d\dT/.test(startedRaw))) {
    throw new BadMetadataError('startedAt', 'must be an ISO time such as 2026-11-23T10:00:00Z');
  }
  const consentRaw = obj['consent'];
  if (consentRaw !== undefined && consentRaw !== 'given' && consentRaw !== 'declined') {
    throw new BadMetadataError('consent', 'must be "given" or "declined"');
  }
  const consentRequired = policy.consent.mode !== 'none';
  if (consentRequired && consentRaw === 'declined') {
    throw new BadMetadataError('consent', `declined: policy ${policy.name} keeps no audio without consent`);
  }
  if (consentRequired && consentRaw === undefined) {
    throw new BadMetadataError(
      'consent',
      `policy ${policy.name} records only with consent: give "consent": "given"`,
    );
  }
  const agent = optionalString(obj, 'agent', 100);
  const agentName = optionalString(obj, 'agentName');
  return {
    v: 1,
    source: 'import',
    startedAt: startedAt.toISOString(),
    direction,
    service: optionalString(obj, 'service', 100),
    number,
    numberWithheld: false,
    agent,
    agentName,
    participants: [
      {
        role: direction === 'inbound' ? 'caller' : 'callee',
        name: null,
        number,
        withheld: false,
        side: 'customer',
      },
      {
        role: direction === 'inbound' ? 'callee' : 'caller',
        name: agentName,
        number: null,
        withheld: false,
        side: 'agent',
      },
    ],
    caseId: optionalString(obj, 'caseId', 100),
    policy: policy.name,
    consent: consentRequired ? 'given' : 'not_required',
    ...(consentRequired
      ? { consentEvidence: { via: 'import' as const, digit: null, stream: null, at: now.toISOString() } }
      : {}),
    codec: null,
    flags: ['imported'],
  };
}

export function expiresAt(startedAt: string, policy: Policy): string {
  return new Date(new Date(startedAt).getTime() + policy.retention_days * DAY_MS).toISOString();
}

function isCallMetadata(value: unknown): value is CallMetadata {
  return typeof value === 'object' && value !== null && (value as { v?: unknown }).v === 1;
}

export interface RecordFromVaultOptions {
  /**
   * Called when the state sidecar fails its checks; the record is then built from the container
   * on hold and restricted, flagged `state_tampered`: nothing is deleted or played on the word
   * of a sidecar that cannot be trusted. Without it, the coded error is thrown.
   */
  readonly onTamperedState?: (id: string, err: unknown) => void;
}

/** What a recording whose sidecar cannot be trusted is held as until someone looks. */
const QUARANTINE: DpoState = {
  legalHold: true,
  restricted: true,
  case: null,
  anonymised: null,
  rectified: null,
};

/**
 * The ids the vault can rebuild records for: every container, and the anonymised recordings
 * (sidecar only). Reads each sidecar once (only recordings the DPO touched have one).
 */
export async function vaultRecordIds(vault: Vault, on: VaultStateHooks = {}): Promise<string[]> {
  const containers = new Set(await vault.listIds());
  const ids = new Set(containers);
  for (const id of await vault.listStateIds()) {
    let st: DpoState | null;
    try {
      st = await readDpoState(vault, id);
    } catch (err) {
      on.onTampered?.(id, err);
      if (containers.has(id)) continue;
      st = null;
    }
    if (containers.has(id)) {
      if (st !== null && on.onContainerState !== undefined) await on.onContainerState(id, st);
    } else if (st?.anonymised) ids.add(id);
    else if (st !== null && on.onLeftover !== undefined) await on.onLeftover(id);
  }
  return [...ids].sort();
}

export interface VaultStateHooks {
  /** A sidecar without container that is not an anonymised record: an interrupted erasure. */
  readonly onLeftover?: (id: string) => Promise<void>;
  /** The state of a recording that still has its container (the caller checks the index against it). */
  readonly onContainerState?: (id: string, state: DpoState) => Promise<void>;
  /** A sidecar that fails its checks (CV_ERR_VAULT_STATE_TAMPERED). */
  readonly onTampered?: (id: string, err: unknown) => void;
}

/**
 * Rebuilds an index record from what the vault holds: the container (metadata + final record)
 * and the DPO's state sidecar over it; an anonymised recording from its sidecar alone. Expiry
 * follows the policy the recording was made under (pass effectivePolicies(config), so the
 * selected policy counts with its overrides), when this config still knows it.
 */
export async function recordFromVault(
  vault: Vault,
  id: string,
  policies: Readonly<Record<string, Policy>>,
  fallback: Policy,
  opts: RecordFromVaultOptions = {},
): Promise<RecordingRecord> {
  let state: DpoState | null;
  try {
    state = await readDpoState(vault, id);
  } catch (err) {
    if (
      (err as { code?: string }).code !== 'CV_ERR_VAULT_STATE_TAMPERED' ||
      opts.onTamperedState === undefined
    )
      throw err;
    opts.onTamperedState(id, err);
    state = QUARANTINE;
  }
  if (state?.anonymised) return state.anonymised;
  const reader = await vault.openReader(id);
  const meta: CallMetadata = isCallMetadata(reader.metadata)
    ? reader.metadata
    : {
        v: 1,
        source: 'import',
        startedAt: reader.createdAt.toISOString(),
        direction: 'unknown',
        service: null,
        number: null,
        numberWithheld: false,
        agent: null,
        agentName: null,
        participants: [],
        caseId: null,
        policy: fallback.name,
        consent: 'not_required',
        codec: null,
        flags: [],
      };
  const policy = policies[meta.policy] ?? fallback;
  const rec = applyDpoState(recordFromParts(id, meta, reader.final, reader.format, policy), state, policy);
  return state === QUARANTINE ? { ...rec, flags: [...rec.flags, 'state_tampered'] } : rec;
}

export interface FinalFacts {
  readonly durationMs: number;
  readonly digest: string | null;
  readonly signature: string | null;
  readonly recovered: boolean;
}

export interface FormatFacts {
  readonly encoding: string;
  readonly channels: number;
  readonly sampleRate: number;
}

/** The index record of a finished (or recovered) recording. */
export function recordFromParts(
  id: string,
  meta: CallMetadata,
  final: FinalFacts,
  format: FormatFacts,
  policy: Policy,
): RecordingRecord {
  const flags = new Set(meta.flags);
  if (final.recovered) flags.add('recovered');
  return {
    id,
    source: meta.source,
    state: final.recovered ? 'recovered' : 'complete',
    startedAt: meta.startedAt,
    endedAt: new Date(new Date(meta.startedAt).getTime() + final.durationMs).toISOString(),
    durationMs: final.durationMs,
    direction: meta.direction,
    service: meta.service,
    number: meta.number,
    numberWithheld: meta.numberWithheld,
    agent: meta.agent,
    agentName: meta.agentName,
    participants: meta.participants,
    caseId: meta.caseId,
    policy: meta.policy,
    // A case given at ingest (SIPREC metadata, import --meta) is open until the DPO closes it.
    expiresAt:
      meta.caseId === null
        ? expiresAt(meta.startedAt, policy)
        : expiryWithCase(meta.startedAt, policy, { id: meta.caseId, closedAt: null }),
    flags: [...flags],
    format: { encoding: format.encoding, channels: format.channels, sampleRate: format.sampleRate },
    codec: meta.codec,
    stats: null,
    digest: final.digest,
    signature: final.signature,
    legalHold: false,
    restricted: false,
    consent: meta.consent,
    consentEvidence: meta.consentEvidence ?? null,
    caseClosedAt: null,
    quality: meta.quality ?? null,
  };
}
