/**
 * The validated, deep-frozen configuration. Keys keep their YAML spelling so code, messages
 * and docs all quote `storage.min_free_bytes` the same way (STYLE rule 7). Units are in the
 * key names; the schema (schema.ts) holds ranges, defaults and docs for each.
 */

/** From `"ADDR:PORT"` or `"[v6]:PORT"`. Port 0 asks the OS for a free port (tests). */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** Inclusive UDP port range; `low` is even so RTP/RTCP pairs are (even, even+1). */
export interface PortRange {
  readonly low: number;
  readonly high: number;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type FsyncMode = 'segment' | 'batch' | 'off';

export interface SipConfig {
  readonly udp: ListenAddress | null;
  readonly tcp: ListenAddress | null;
  readonly tls: ListenAddress | null;
  /** Absolute path; required and existing when `tls` is on. */
  readonly tls_cert: string | null;
  readonly tls_key: string | null;
  /** Addresses or CIDRs (v4 and v6) whose INVITEs are accepted. */
  readonly trusted: readonly string[];
  /** Accept SIPREC over plain UDP/TCP (not only TLS). */
  readonly accept_plain_invite: boolean;
  readonly max_message_bytes: number;
  /** SIP messages per second per source address before dropping. */
  readonly rate_limit_per_second: number;
  /** 0 = no limit beyond ports and disk. */
  readonly max_calls: number;
  /** 0 = off. */
  readonly overload_lag_ms: number;
  readonly tcp_idle_timeout_ms: number;
  readonly max_tcp_connections: number;
  /** ISO 3166 alpha-2 country national numbers are read in; null: none (they stay national). */
  readonly default_country: string | null;
  /** Direction assumed when the SBC does not say; inbound = the caller is the customer. */
  readonly default_direction: 'inbound' | 'outbound' | 'unknown';
  readonly agent_number_prefixes: readonly string[];
  /** 0 = off. */
  readonly agent_extension_max_digits: number;
}

export interface MediaConfig {
  readonly rtp_ports: PortRange;
  readonly jitter_buffer_ms: number;
  /** Silence after which a stream counts as dead; long enough to tolerate hold. */
  readonly rtp_timeout_ms: number;
  readonly reader: 'auto' | 'native' | 'dgram';
  /** Let the native reader store in-order RTP packets itself (see media/fast-state.ts). */
  readonly fast_path: boolean;
}

export interface TapConfig {
  /** Capture interface name, or null when the passive tap is off. */
  readonly interface: string | null;
}

export interface StorageConfig {
  /** Absolute path; the vault creates it (0700), its parent must exist. */
  readonly dir: string;
  readonly min_free_bytes: number;
  readonly segment_ms: number;
  readonly fsync: FsyncMode;
  readonly fsync_interval_ms: number;
}

export interface KeysConfig {
  /** Absolute path; default `<storage.dir>/keys/master.key`. */
  readonly master_key_file: string;
  /** systemd credential name (LoadCredential=) tried before the file. */
  readonly credential: string;
}

export interface ApiConfig {
  readonly listen: ListenAddress | null;
  /** null: a self-signed pair is generated under storage.dir on first start. */
  readonly tls_cert: string | null;
  readonly tls_key: string | null;
  readonly session_lifetime_s: number;
  readonly login_max_failures: number;
  readonly login_max_failures_per_source: number;
  readonly login_audit_interval_s: number;
  readonly stats_min_group_size: number;
  /** "GROUP:PREFIX" entries (checked in checks.ts). */
  readonly stats_agent_groups: readonly string[];
}

export interface MetricsConfig {
  readonly listen: ListenAddress | null;
  /** Sources allowed to scrape; empty: loopback sources only (metrics.listen must be loopback). */
  readonly allow: readonly string[];
  /** How long a scrape waits for the loop to render before the last render is served (0: always wait). */
  readonly fresh_wait_ms: number;
}

export interface LogConfig {
  readonly level: LogLevel;
}

export type ConsentMode = 'none' | 'dtmf' | 'metadata';
/** What is left of a declined (or unanswered) consent prompt: nothing, or the non-audio record. */
export type DeclinedCall = 'discard' | 'keep_metadata';
export type AgentAccess = 'own' | 'none';
export type ExpiryAction = 'delete' | 'anonymise';

export interface ConsentPolicy {
  readonly mode: ConsentMode;
  /** DTMF digit (RFC 4733 event) that gives consent; null unless mode is dtmf. */
  readonly accept_digit: string | null;
  readonly decline_digit: string | null;
  /** No answer within this time counts as declined (consent must be unambiguous). */
  readonly timeout_ms: number;
  readonly on_decline: DeclinedCall;
}

/**
 * What the recorder, retention and API must do for one organisation. Presets quote the
 * seed notice they come from (policy-presets.ts).
 */
export interface Policy {
  readonly name: string;
  readonly organisation: string;
  /** Where the rules come from: a seed notice, or the config file for custom policies. */
  readonly source: string;
  /** Days a recording is kept, counted from the call's start. */
  readonly retention_days: number;
  /** Keep past retention_days while a linked case or complaint is still open. */
  readonly extend_while_case_open: boolean;
  /** At the end of retention: destroy the recording, or remove personal data and keep the case. */
  readonly on_expiry: ExpiryAction;
  /** For a recording linked to a case: anonymise this many days after the case closes; null = not used. */
  readonly anonymise_after_case_closed_days: number | null;
  readonly legal_hold_allowed: boolean;
  readonly restriction_allowed: boolean;
  readonly consent: ConsentPolicy;
  /** Withdrawing consent erases the caller's recordings. */
  readonly withdraw_consent_erases: boolean;
  readonly record_outbound: boolean;
  readonly record_from: 'answer';
  /** Honour withheld / secret numbers: do not store or show them. */
  readonly number_privacy: boolean;
  /** `own`: agents see only their own calls; `none`: agents see no recordings. */
  readonly agent_access: AgentAccess;
  /** qa sees pseudonymised training copies only (and only while a DPO grant is in force). */
  readonly qa_pseudonymised: boolean;
  /** Supervisors list and hear recordings only while a DPO grant is in force (seed 004). */
  readonly supervisor_requires_grant: boolean;
  /** Always true: nobody hears a call without a stated reason (PRODUCT non-negotiable). */
  readonly require_access_reason: boolean;
  readonly no_transfer_outside_eea: boolean;
  readonly notes: readonly string[];
  /** Fields this config file changed relative to the named policy (empty for a plain preset). */
  readonly overridden: readonly string[];
}

export interface Config {
  /** Absolute path of the loaded file. */
  readonly file: string;
  readonly sip: SipConfig;
  readonly media: MediaConfig;
  readonly tap: TapConfig;
  readonly storage: StorageConfig;
  readonly keys: KeysConfig;
  /** The resolved policy selected by `policy.name`, with any overrides applied. */
  readonly policy: Policy;
  /**
   * Every policy this config knows (presets and policy.custom), by name, without the local
   * overrides: retention applies each recording the policy it was recorded under.
   */
  readonly policies: Readonly<Record<string, Policy>>;
  readonly api: ApiConfig;
  readonly metrics: MetricsConfig;
  readonly log: LogConfig;
}
