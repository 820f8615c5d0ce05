/** Types that cross the index boundary: the recording record, queries, users, grants, audit. */
import type { ClassicLevel } from 'classic-level';
import type { Logger } from '../common/index.js';

export type RecordingSource = 'siprec' | 'tap' | 'import';
export type RecordingState = 'recording' | 'complete' | 'recovered';
export type Direction = 'inbound' | 'outbound' | 'unknown';
export type Consent = 'given' | 'declined' | 'pending' | 'not_required';

export interface Participant {
  readonly role: 'caller' | 'callee';
  readonly name: string | null;
  readonly number: string | null;
  readonly withheld: boolean;
  readonly side: 'customer' | 'agent';
}

/** How consent was given: the DTMF digit on which stream, or the SBC's metadata, or an import. */
export interface ConsentEvidence {
  readonly via: 'dtmf' | 'metadata' | 'import';
  readonly digit: string | null;
  /** The stream label the digit arrived on. */
  readonly stream: string | null;
  readonly at: string;
}

export interface RecordingFormat {
  readonly encoding: string;
  readonly channels: number;
  readonly sampleRate: number;
}

/**
 * One recording as the index holds it. number, agent, agentName, participants and caseId are
 * personal: stored AES-256-GCM encrypted and (number, agent, caseId) blind-indexed. The other
 * fields are stored plain. Times are ISO 8601 UTC (normalised with toISOString on write).
 */
export interface RecordingRecord {
  readonly id: string;
  readonly source: RecordingSource;
  readonly state: RecordingState;
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly durationMs: number;
  readonly direction: Direction;
  readonly service: string | null;
  /** Customer number, E.164 (normalised on write); null when withheld. */
  readonly number: string | null;
  readonly numberWithheld: boolean;
  /** Agent identity in call metadata: extension or AoR user part. */
  readonly agent: string | null;
  readonly agentName: string | null;
  readonly participants: readonly Participant[];
  readonly caseId: string | null;
  readonly policy: string;
  readonly expiresAt: string | null;
  readonly flags: readonly string[];
  readonly format: RecordingFormat;
  readonly codec: string | null;
  readonly stats: Record<string, unknown> | null;
  readonly digest: string | null;
  readonly signature: string | null;
  readonly legalHold: boolean;
  readonly restricted: boolean;
  readonly consent: Consent;
  /** Set once consent is decided by a digit or a flag (plain: no personal data). */
  readonly consentEvidence?: ConsentEvidence | null;
  /** When the linked case was closed (null: open or no case). */
  readonly caseClosedAt?: string | null;
  /** Media quality of the call, set at finalisation (plain: no personal data). */
  readonly quality?: CallQuality | null;
}

/**
 * Per-call media quality over the streams that carried RTP (a silent stream is a no_media /
 * one_way flag instead); null fields when no stream did. Searchable (minMos, maxMos).
 */
export interface CallQuality {
  /** The lowest per-stream MOS estimate (G.107 E-model, 1–4.5): a call is as good as its worst side. */
  readonly mos: number | null;
  /** The highest per-stream packet loss, percent of expected packets. */
  readonly lossPct: number | null;
  /** The highest per-stream RFC 3550 interarrival jitter, ms. */
  readonly jitterMs: number | null;
}

export type RecordingPatch = Partial<Omit<RecordingRecord, 'id'>>;

/**
 * Filters combine with AND. `number` matches the customer number or any participant number
 * (after normalisation). Time filters are half-open: from ≤ startedAt < to, expiresAt < expiresBefore.
 */
export interface SearchQuery {
  readonly number?: string;
  readonly agent?: string;
  readonly service?: string;
  readonly direction?: Direction;
  readonly caseId?: string;
  readonly from?: string;
  readonly to?: string;
  readonly expiresBefore?: string;
  /** 1..1000, default 100. */
  readonly limit?: number;
  readonly cursor?: string;
  /** By startedAt then id; default 'desc' (newest first). */
  readonly order?: 'asc' | 'desc';
  /** quality.mos at least / at most this (1–5); a call without a MOS matches neither. */
  readonly minMos?: number;
  readonly maxMos?: number;
  /** Carrying this flag (no_media, one_way, recovered, tampered, …). */
  readonly flag?: string;
}

export interface SearchResult {
  readonly items: RecordingRecord[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  readonly nextCursor: string | null;
  readonly total?: number;
}

export type Role = 'agent' | 'supervisor' | 'admin' | 'qa' | 'dpo';

export interface User {
  readonly username: string;
  readonly role: Role;
  /** Binds an agent account to its identity in call metadata (extension or AoR user). */
  readonly agentId: string | null;
  /** From hashPassword(): never a plain password. */
  readonly passwordHash: string;
  readonly createdAt: string;
  readonly disabled: boolean;
  /** TOTP second factor (admin, dpo): the base32 secret sealed with the field key, last step used. */
  readonly totp?: UserTotp | null;
}

export interface UserTotp {
  readonly sealed: string;
  readonly lastStep: number;
}

export interface UserInput {
  readonly username: string;
  readonly role: Role;
  readonly agentId?: string | null;
  readonly passwordHash: string;
  readonly createdAt?: string;
  readonly disabled?: boolean;
  readonly totp?: UserTotp | null;
}

/** What a DPO grant opens: null lists mean "all". */
export interface GrantScope {
  readonly services: readonly string[] | null;
  readonly recordingIds: readonly string[] | null;
  /** Access only to pseudonymised training copies (seed 004). */
  readonly pseudonymised: boolean;
}

export interface Grant {
  readonly id: string;
  readonly username: string;
  readonly scope: GrantScope;
  readonly grantedBy: string;
  readonly reason: string | null;
  readonly createdAt: string;
  readonly expiresAt: string;
}

export interface GrantInput {
  readonly username: string;
  readonly scope: GrantScope;
  readonly grantedBy: string;
  readonly reason?: string | null;
  readonly expiresAt: string;
}

export const AUDIT_ACTIONS = [
  'listen',
  'export',
  'search',
  'erase',
  'hold',
  'release',
  'restrict',
  'unrestrict',
  'config_change',
  'login',
  'login_failed',
  'logout',
  'import',
  'verify',
  'withdraw_consent',
  'retention_delete',
  'anonymise',
  'user_add',
  'user_delete',
  'grant',
  'revoke_grant',
  'dsar_export',
  'index_rebuild',
  'keys_rotate',
  'integrity_failure',
  'case_link',
  'case_close',
  'case_reopen',
  'listen_failed',
  'session_revoke',
  'user_disable',
  'user_enable',
  'user_passwd',
  'stats',
  'user_totp',
  'erase_refused',
  'rectify',
  'rectify_refused',
  'hold_refused',
  'restrict_refused',
  'case_refused',
  'grant_refused',
  'training_copy',
  'training_copy_refused',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditInput {
  readonly actor: string;
  /** A user role, or 'system' for the daemon's own actions (retention, rebuild). */
  readonly role: Role | 'system';
  readonly action: AuditAction;
  readonly recordingId?: string | null;
  readonly reason?: string | null;
  /** Where the request came from (client address), null for local actions. */
  readonly from?: string | null;
  /** Extra structured detail. A `number` key is replaced by its blind index before storing. */
  readonly detail?: Record<string, unknown> | null;
}

export interface AuditEntry {
  readonly seq: number;
  readonly ts: string;
  readonly actor: string;
  readonly role: Role | 'system';
  readonly action: AuditAction;
  readonly recordingId: string | null;
  readonly reason: string | null;
  readonly from: string | null;
  readonly detail: Record<string, unknown> | null;
  /** SHA-256 (hex) of the previous entry; 64 zeros for the first. */
  readonly prev: string;
  /** SHA-256 (hex) over prev and this entry's stored body. */
  readonly hash: string;
}

export type AuditProblem =
  | 'unparseable'
  | 'seq_mismatch'
  | 'missing'
  | 'prev_mismatch'
  | 'hash_mismatch'
  | 'truncated'
  | 'anchor_signature'
  | 'anchor_mismatch';

export type AuditVerifyResult =
  | { readonly ok: true; readonly entries: number; readonly anchors: number }
  | { readonly ok: false; readonly firstBadSeq: number; readonly problem: AuditProblem };

export interface AuditListQuery {
  /** ISO time: entries at or after it. */
  readonly since?: string;
  /** Entries with seq greater than this (paging). */
  readonly afterSeq?: number;
  /** 1..10000, default 1000. */
  readonly limit?: number;
}

/** A schema migration: runs once when the stored version is `from`, leaving it at `from + 1`. */
export interface Migration {
  readonly from: number;
  readonly run: (db: ClassicLevel<string, string>, log: Logger) => Promise<void>;
}

export interface IndexOptions {
  /** The LevelDB directory (the daemon passes <storage.dir>/index). */
  readonly dir: string;
  /** 32 bytes: HMAC-SHA256 key for the blind indexes (numbers, agent ids, case ids). */
  readonly blindIndexKey: Buffer;
  /** 32 bytes: AES-256-GCM key for personal fields stored in records. */
  readonly fieldKey: Buffer;
  /** Ed25519 signature by the appliance key (anchors the audit chain). */
  readonly sign: (data: Buffer) => Buffer;
  readonly verifySignature: (data: Buffer, sig: Buffer) => boolean;
  readonly log: Logger;
  /** Anchor the audit chain head every N entries (and on close); default 100. */
  readonly auditAnchorEvery?: number;
  /**
   * Per-recording keys for personal fields (the vault derives them from each data key): a
   * record sealed under one becomes unreadable — in every copy LevelDB kept — once the data key
   * is destroyed. Without it (or where it yields undefined) fields are sealed under fieldKey.
   */
  readonly recordKeys?: (ids: readonly string[]) => Promise<readonly (Buffer | undefined)[]>;
  /** Extra migrations (tests, future versions); run in `from` order after the built-in ones. */
  readonly migrations?: readonly Migration[];
  /** Clock for audit timestamps and grant expiry; default `() => new Date()`. */
  readonly now?: () => Date;
  /**
   * Where the audit chain's length is anchored outside the index (the daemon: the keystore).
   * Written after every append; an index whose chain is shorter than it lost writes.
   */
  readonly auditAnchor?: AuditAnchorStore;
  /**
   * For `index rebuild` only: an index whose audit chain is shorter than its anchor opens, and
   * the loss is recorded as an audit entry instead of refusing to start.
   */
  readonly acceptAuditLoss?: boolean;
  /**
   * sip.default_country (ISO 3166 alpha-2): national numbers are stored, blind-indexed and
   * searched as E.164 in this country. Null or absent: they stay national.
   */
  readonly defaultCountry?: string | null;
  /**
   * api.stats_agent_groups: the groups statistics counters count agents in (computed when a
   * record is written; a changed list is recounted at the next open). Absent: none configured.
   */
  readonly statsAgentGroups?: readonly string[];
}

/** The last audit entry's seq and hash, kept where a truncated index cannot reach it. */
export interface AuditAnchorStore {
  read(): Promise<{ readonly seq: number; readonly hash: string } | undefined>;
  write(head: { readonly seq: number; readonly hash: string }): Promise<void>;
}

export interface ConsistencyReport {
  readonly records: number;
  readonly entries: number;
  /** Index keys whose recording is missing or no longer maps to them. */
  readonly dangling: readonly string[];
  /** Recording ids with at least one secondary entry missing. */
  readonly incomplete: readonly string[];
  readonly repaired: boolean;
}
