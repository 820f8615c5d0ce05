/**
 * The one description of the config (STYLE rule 19): every key's type, range, default (with
 * unit) and doc. Validation (validate.ts), the commented example (example.ts) and the
 * unknown-key hints all read this table, so a key added here is validated and documented.
 * Defaults are written as they would be in YAML and go through the same parsers as the file.
 */
import {
  CUSTOM_POLICY,
  POLICY_FIELDS,
  POLICY_NAME_EXPECT,
  POLICY_NAME_PATTERN,
  PRESET_NAMES,
} from './policy-schema.js';
import { COUNTRY_CALLING_CODES } from '../common/index.js';
import { REQUIRED, section, type ListenNode, type SectionNode } from './schema-types.js';

export * from './schema-types.js';
export * from './policy-schema.js';

const listen = (def: string, doc: string): ListenNode => ({ kind: 'listen', default: def, doc });

export const CONFIG_SCHEMA: SectionNode = section('callvault configuration.', {
  sip: section('SIPREC signalling from the SBC / PBX.', {
    udp: listen('127.0.0.1:5060', 'UDP listener.'),
    tcp: listen('127.0.0.1:5060', 'TCP listener (may share the UDP address:port).'),
    tls: listen('off', 'TLS listener; needs tls_cert and tls_key.'),
    tls_cert: { kind: 'path', nullable: true, default: null, doc: 'PEM certificate for the TLS listener.' },
    tls_key: { kind: 'path', nullable: true, default: null, doc: 'PEM private key for the TLS listener.' },
    trusted: {
      kind: 'cidr_list',
      default: ['127.0.0.0/8', '::1/128'],
      doc: 'Source addresses / CIDRs of the SBCs allowed to send INVITEs; others get 403.',
    },
    accept_plain_invite: {
      kind: 'bool',
      default: false,
      doc: 'Accept SIPREC INVITEs over plain UDP/TCP, not only TLS.',
    },
    max_message_bytes: {
      kind: 'int',
      min: 1024,
      max: 1048576,
      unit: 'bytes',
      default: 65535,
      doc: 'Larger SIP messages are rejected.',
    },
    rate_limit_per_second: {
      kind: 'int',
      min: 1,
      max: 100000,
      unit: 'messages/s',
      default: 2000,
      doc: 'SIP messages per second per source address before dropping. The SBC sends every call from one address: a call is 3-5 messages, so this bounds call set-ups per second.',
    },
    max_calls: {
      kind: 'int',
      min: 0,
      max: 100000,
      default: 0,
      doc: 'Concurrent calls beyond which new INVITEs get 503 with Retry-After (0: only ports and disk limit).',
    },
    overload_lag_ms: {
      kind: 'int',
      min: 0,
      max: 60000,
      unit: 'ms',
      default: 500,
      doc: 'New INVITEs get 503 while the event loop runs this late (p99 over the last second): the calls already up keep their audio (0: off).',
    },
    tcp_idle_timeout_ms: {
      kind: 'int',
      min: 1000,
      max: 86400000,
      unit: 'ms',
      default: 300000,
      doc: 'Idle TCP/TLS connections are closed after this.',
    },
    max_tcp_connections: {
      kind: 'int',
      min: 1,
      max: 100000,
      default: 1024,
      doc: 'Further TCP/TLS connections are refused.',
    },
    default_country: {
      kind: 'enum',
      values: Object.keys(COUNTRY_CALLING_CODES),
      nullable: true,
      default: null,
      doc: 'Country (ISO 3166 alpha-2) of national numbers such as 070-123 45 67: stored, searched, withdrawn and DSAR-exported as E.164 in it. Off: only numbers with their country code are accepted from people.',
    },
    default_direction: {
      kind: 'enum',
      values: ['inbound', 'outbound', 'unknown'],
      default: 'inbound',
      doc: 'Call direction when neither the SBC (metadata, X-Call-Direction) nor the agent rules tell it; inbound: the caller is the customer.',
    },
    agent_number_prefixes: {
      kind: 'string_list',
      default: [],
      doc: 'Numbers or AoR users starting with one of these are agents (e.g. "+4687654"): decides who is the customer.',
    },
    agent_extension_max_digits: {
      kind: 'int',
      min: 0,
      max: 10,
      default: 0,
      doc: 'An all-digit AoR user of at most this many digits is an agent extension (0: off).',
    },
  }),
  media: section('RTP from the SBC.', {
    rtp_ports: {
      kind: 'port_range',
      default: '20000-29999',
      doc: 'UDP ports for RTP/RTCP pairs, LOW even; two ports per recorded stream.',
    },
    jitter_buffer_ms: {
      kind: 'int',
      min: 0,
      max: 2000,
      unit: 'ms',
      default: 60,
      doc: 'Reordering window before a missing packet becomes silence.',
    },
    rtp_timeout_ms: {
      kind: 'int',
      min: 1000,
      max: 3600000,
      unit: 'ms',
      default: 30000,
      doc: 'Silence after which a stream is dead; long enough to tolerate hold.',
    },
    reader: {
      kind: 'enum',
      values: ['auto', 'native', 'dgram'],
      default: 'auto',
      doc: 'Socket layer: native (epoll + recvmmsg, built by make), dgram (node:dgram), auto: native when built.',
    },
    fast_path: {
      kind: 'bool',
      default: true,
      doc: 'With the native reader: it stores in-order RTP packets of a stream itself; off: every packet goes through the JavaScript path.',
    },
  }),
  tap: section('Passive capture from a mirror port.', {
    interface: {
      kind: 'string',
      pattern: /^[A-Za-z0-9_.:@-]{1,15}$/,
      expect: 'a network interface name (at most 15 characters) or off',
      nullable: true,
      default: null,
      doc: 'Interface to capture SIP and RTP from, or off.',
    },
  }),
  storage: section('The encrypted recordings.', {
    dir: {
      kind: 'path',
      nullable: false,
      default: '/var/lib/callvault',
      doc: 'Data directory; created 0700 by the vault, its parent must exist.',
    },
    min_free_bytes: {
      kind: 'bytes',
      min: 0,
      default: '1 GiB',
      doc: 'Below this free space new calls get 503 and an alert fires. Integer or with a unit (MiB, GiB).',
    },
    segment_ms: {
      kind: 'int',
      min: 200,
      max: 2000,
      unit: 'ms',
      default: 2000,
      doc: 'Audio per encrypted segment: at most this much is lost on a crash.',
    },
    fsync: {
      kind: 'enum',
      values: ['segment', 'batch', 'off'],
      default: 'batch',
      doc: 'batch: files written since the last fsync_interval_ms are fsynced together (power loss loses at most a segment plus the interval). segment: fsync each segment and each new file before using it. off: leave it to the OS.',
    },
    fsync_interval_ms: {
      kind: 'int',
      min: 10,
      max: 60000,
      unit: 'ms',
      default: 1000,
      doc: 'fsync period when fsync is batch.',
    },
  }),
  keys: section('The appliance master key.', {
    master_key_file: {
      kind: 'path',
      nullable: true,
      default: null,
      defaultDoc: '<storage.dir>/keys/master.key',
      doc: 'Master key file (0600), created on first start when absent; production provisions it.',
    },
    credential: {
      kind: 'string',
      pattern: /^[A-Za-z0-9_.-]{1,64}$/,
      expect: 'a systemd credential name',
      default: 'callvault-master-key',
      doc: 'systemd credential (LoadCredential=) tried before the file.',
    },
  }),
  policy: section(
    'Which recording policy applies. Any policy field given here overrides the selected policy.',
    {
      name: {
        kind: 'string',
        pattern: POLICY_NAME_PATTERN,
        expect: POLICY_NAME_EXPECT,
        default: REQUIRED,
        doc: `A shipped preset (${PRESET_NAMES.join(', ')}) or a name under custom.`,
      },
      custom: {
        kind: 'map',
        keyPattern: POLICY_NAME_PATTERN,
        keyExpect: POLICY_NAME_EXPECT,
        of: CUSTOM_POLICY,
        doc: 'Policies defined here, by name.',
      },
      ...POLICY_FIELDS.fields,
    },
  ),
  api: section('The admin API (HTTPS).', {
    listen: listen('127.0.0.1:8443', 'HTTPS listener.'),
    tls_cert: {
      kind: 'path',
      nullable: true,
      default: null,
      doc: 'PEM certificate; off: a self-signed pair is generated under storage.dir on first start.',
    },
    tls_key: {
      kind: 'path',
      nullable: true,
      default: null,
      doc: 'PEM private key; given together with tls_cert.',
    },
    session_lifetime_s: {
      kind: 'int',
      min: 60,
      max: 604800,
      unit: 's',
      default: 28800,
      doc: 'Login tokens expire after this (default 8 h).',
    },
    login_max_failures: {
      kind: 'int',
      min: 1,
      max: 1000,
      default: 5,
      doc: 'Password checks per user name in 15 minutes that may fail; further attempts get 429 before any check.',
    },
    login_max_failures_per_source: {
      kind: 'int',
      min: 1,
      max: 100000,
      default: 20,
      doc: 'Failed password checks per client address (IPv6: per /64) in 15 minutes before its attempts get 429.',
    },
    login_audit_interval_s: {
      kind: 'int',
      min: 1,
      max: 86400,
      unit: 's',
      default: 300,
      doc: 'Failed and refused logins are written to the audit log as one entry per client address and interval.',
    },
    stats_min_group_size: {
      kind: 'int',
      min: 1,
      max: 1000,
      default: 5,
      doc: 'Statistics cells (per day, service, direction, agent group) with fewer calls than this are suppressed (1: no suppression).',
    },
    stats_agent_groups: {
      kind: 'string_list',
      default: [],
      doc: 'Agent groups for statistics, as "GROUP:PREFIX" (an agent id starting with PREFIX is in GROUP; the longest prefix wins). Statistics show groups, never agents.',
    },
  }),
  metrics: section('Prometheus metrics (plain HTTP, no login: keep it off the network unless allowed).', {
    listen: listen(
      '127.0.0.1:9464',
      'HTTP listener for /metrics. A non-loopback address needs metrics.allow.',
    ),
    allow: {
      kind: 'cidr_list',
      default: [],
      doc: 'Scrapers allowed (addresses / CIDRs); others get 403. Empty: loopback only.',
    },
    fresh_wait_ms: {
      kind: 'int',
      min: 0,
      max: 10000,
      unit: 'ms',
      default: 25,
      doc: 'A scrape waits this long for values rendered for it; while the daemon is busy setting up calls, the last render (about a second old, its age in callvault_metrics_snapshot_age_seconds) is served instead, so Prometheus is answered in time (0: always wait).',
    },
  }),
  log: section('Logging (JSON lines to stdout).', {
    level: {
      kind: 'enum',
      values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      default: 'info',
      doc: 'pino log level.',
    },
  }),
});

/** Keys people write from older docs or other products: the hint names the key to use. */
export const RENAMED_KEYS: Readonly<Record<string, string>> = {
  'media.rtp_port_min': 'media.rtp_ports ("LOW-HIGH")',
  'media.rtp_port_max': 'media.rtp_ports ("LOW-HIGH")',
  'media.rtp_port_range': 'media.rtp_ports ("LOW-HIGH")',
  'storage.path': 'storage.dir',
  'storage.directory': 'storage.dir',
  'storage.min_free': 'storage.min_free_bytes',
  'sip.trusted_sources': 'sip.trusted',
  'sip.trusted_sbc': 'sip.trusted',
  'sip.tls_certificate': 'sip.tls_cert',
  'sip.port': 'sip.udp and sip.tcp ("ADDR:PORT")',
  'keys.master_key': 'keys.master_key_file',
  'api.port': 'api.listen ("ADDR:PORT")',
  'metrics.port': 'metrics.listen ("ADDR:PORT")',
  logging: 'log',
  'log.log_level': 'log.level',
  'policy.retention': 'policy.retention_days',
  'policy.preset': 'policy.name',
};
