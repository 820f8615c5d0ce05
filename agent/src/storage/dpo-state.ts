/**
 * What the DPO set on a recording, as the vault keeps it (a signed, sealed state sidecar, see
 * vault/state.ts): legal hold, restriction, the case and whether it is closed, and — once
 * anonymised — the whole non-personal case record, since no container is left to rebuild it
 * from. Every path that changes these writes the vault first, then the index, so a crash
 * between the two leaves the vault right and the next rebuild or re-index restores the index.
 */
import type { Config, Policy } from '../config/index.js';
import type { RecordingRecord } from '../index/index.js';
import type { Vault } from '../vault/index.js';
import { parseRectification, rectifiedPatch, type Rectification } from './rectify-fields.js';

const DAY_MS = 86_400_000;

export interface DpoState {
  readonly legalHold: boolean;
  readonly restricted: boolean;
  /** null: no DPO case action; the container's metadata says which case (if any). */
  readonly case: { readonly id: string | null; readonly closedAt: string | null } | null;
  /** The anonymised remainder (audio and personal fields gone, the case kept). */
  readonly anonymised: RecordingRecord | null;
  /** Metadata fields the DPO rectified, laid over the container's (which is never rewritten). */
  readonly rectified: Rectification | null;
}

/** The policy a recording is governed by: this config's effective one (with its overrides) when it is that policy. */
export function policyFor(config: Config, name: string): Policy {
  if (name === config.policy.name) return config.policy;
  return config.policies[name] ?? config.policy;
}

/** Every policy by name, the selected one with its `--set policy.*` overrides applied. */
export function effectivePolicies(config: Config): Readonly<Record<string, Policy>> {
  return { ...config.policies, [config.policy.name]: config.policy };
}

/**
 * Expiry under the policy once the DPO linked a case: kept while the case is open (when the
 * policy extends for open cases), anonymised N days after it closes (when the policy says so).
 */
export function expiryWithCase(
  startedAt: string,
  policy: Policy,
  c: { id: string | null; closedAt: string | null } | null,
): string | null {
  const baseMs = Date.parse(startedAt) + policy.retention_days * DAY_MS;
  if (c === null || c.id === null) return new Date(baseMs).toISOString();
  if (c.closedAt === null) return policy.extend_while_case_open ? null : new Date(baseMs).toISOString();
  const closedMs = Date.parse(c.closedAt);
  if (policy.anonymise_after_case_closed_days !== null)
    return new Date(closedMs + policy.anonymise_after_case_closed_days * DAY_MS).toISOString();
  return new Date(policy.extend_while_case_open ? Math.max(baseMs, closedMs) : baseMs).toISOString();
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The state in a sidecar body; fields missing in an older body take their defaults. */
export function parseDpoState(body: Record<string, unknown>): DpoState {
  const c = body['case'];
  const a = body['anonymised'];
  return {
    legalHold: body['legalHold'] === true,
    restricted: body['restricted'] === true,
    case: isRecord(c)
      ? {
          id: typeof c['id'] === 'string' ? c['id'] : null,
          closedAt: typeof c['closedAt'] === 'string' ? c['closedAt'] : null,
        }
      : null,
    anonymised: isRecord(a) ? (a as unknown as RecordingRecord) : null,
    rectified: parseRectification(body['rectified']),
  };
}

export async function readDpoState(vault: Vault, id: string): Promise<DpoState | null> {
  const file = await vault.readState(id);
  return file === null ? null : parseDpoState(file.body);
}

/**
 * The state a record carries (what a sidecar must say for a rebuild to give it back). An
 * anonymised record keeps no rectified values: they are personal data.
 */
export function dpoStateOf(
  rec: RecordingRecord,
  caseTouched: boolean,
  rectified: Rectification | null = null,
): DpoState {
  const anonymised = rec.flags.includes('anonymised') ? rec : null;
  return {
    rectified: anonymised === null ? rectified : null,
    legalHold: rec.legalHold,
    restricted: rec.restricted,
    case:
      caseTouched || rec.caseClosedAt != null ? { id: rec.caseId, closedAt: rec.caseClosedAt ?? null } : null,
    anonymised,
  };
}

/** A record rebuilt from the vault with the DPO's state laid over it. */
export function applyDpoState(rec: RecordingRecord, st: DpoState | null, policy: Policy): RecordingRecord {
  if (st === null) return rec;
  if (st.anonymised !== null) return st.anonymised;
  const fixed = st.rectified === null ? rec : { ...rec, ...rectifiedPatch(rec, st.rectified) };
  const withCase =
    st.case === null
      ? fixed
      : {
          ...fixed,
          caseId: st.case.id,
          caseClosedAt: st.case.closedAt,
          expiresAt: expiryWithCase(rec.startedAt, policy, st.case),
        };
  return { ...withCase, legalHold: st.legalHold, restricted: st.restricted };
}
