/**
 * What `callvaultctl help`, `COMMAND --help` and the did-you-mean hints know about each
 * command: one entry per command (or per `group sub|sub`), data only. A new command adds its
 * entry here; nothing else is needed for its --help.
 */

export interface OptionHelp {
  /** As typed, with its value: `--output FILE` (a short form after a comma: `-o, --output FILE`). */
  readonly flag: string;
  readonly text: string;
}

export interface CommandHelp {
  /** `export`, or a group and its subcommand(s): `recordings list`, `hold set|release`. */
  readonly name: string;
  /** Positionals after the name: `ID`, `FILE.wav`. */
  readonly args?: string;
  readonly summary: string;
  readonly options?: readonly OptionHelp[];
  readonly example: string;
}

const json: OptionHelp = { flag: '--json', text: 'print JSON instead of a table' };
const reason: OptionHelp = { flag: '--reason TEXT', text: 'why (at least 5 visible characters; audited)' };
const progress: OptionHelp = {
  flag: '--progress',
  text: 'show progress on stderr even when it is not a terminal',
};
const filters: readonly OptionHelp[] = [
  { flag: '--from TIME', text: 'started at or after this ISO time' },
  { flag: '--to TIME', text: 'started before this ISO time' },
  { flag: '--agent ID', text: 'agent extension or AoR user part' },
  { flag: '--number N', text: 'customer or participant number (E.164)' },
  { flag: '--service S', text: 'service (queue, hunt group) from the call metadata' },
  { flag: '--case CASE-ID', text: 'linked to this case' },
  { flag: '--flag FLAG', text: 'carrying this flag (no_media, one_way, tampered, …)' },
  { flag: '--min-mos N', text: "call quality (the worst stream's MOS, 1-5) at least N" },
  { flag: '--max-mos N', text: "call quality (the worst stream's MOS, 1-5) at most N" },
  { flag: '--limit N', text: 'at most N recordings, newest first' },
  json,
];

export const COMMAND_HELP: readonly CommandHelp[] = [
  {
    name: 'config check',
    summary: 'validate the configuration file (exit 1 and the offending key on error)',
    options: [{ flag: '--json', text: 'print the effective configuration as JSON' }],
    example: 'callvaultctl --config /etc/callvault/callvault.yaml config check',
  },
  {
    name: 'config example',
    summary: 'print a commented example configuration',
    example: 'callvaultctl config example > callvault.yaml',
  },
  {
    name: 'status',
    summary: 'is the daemon running: pid, uptime, version, listeners, active calls',
    options: [json],
    example: 'callvaultctl status',
  },
  {
    name: 'recordings list',
    summary: 'list recordings, newest first, with optional filters',
    options: filters,
    example: 'callvaultctl recordings list --from 2026-01-01T00:00:00Z --agent 201 --limit 20',
  },
  {
    name: 'recordings search',
    summary: 'the same as list (kept for scripts)',
    options: filters,
    example: 'callvaultctl recordings search --number +4930123456 --json',
  },
  {
    name: 'recordings show',
    args: 'ID',
    summary: 'a readable summary of one recording (times, parties, flags, hold, consent, quality)',
    options: [{ flag: '--json', text: 'print the full record as JSON' }],
    example: 'callvaultctl recordings show 01J9Z8Q4TWQ5N1K2 --json',
  },
  {
    name: 'import',
    args: 'FILE.wav [FILE.wav…]',
    summary: 'migrate legacy WAV recordings into the vault (prints their ids)',
    options: [
      {
        flag: '--meta JSON',
        text: 'call metadata: number, agent, service, direction, startedAt, consent (default: FILE.json beside each WAV)',
      },
      progress,
    ],
    example: `callvaultctl import old.wav --meta '{"number":"+4930123456","agent":"201"}'`,
  },
  {
    name: 'export',
    args: 'ID',
    summary: 'decrypt a recording to a plain WAV file (audited like a listen)',
    options: [
      { flag: '-o, --output FILE', text: 'where to write the WAV (its directory must exist)' },
      reason,
      { flag: '--force', text: 'overwrite FILE if it exists' },
    ],
    example: 'callvaultctl export 01J9Z8Q4TWQ5N1K2 -o /tmp/call.wav --reason "ticket 4711"',
  },
  {
    name: 'verify',
    args: 'ID',
    summary: 'check signature and integrity of one recording, or of all (exit 2 on a failure)',
    options: [{ flag: '--all', text: 'verify every recording in the vault' }, json, progress],
    example: 'callvaultctl verify --all',
  },
  {
    name: 'keys rotate',
    summary: 'start a new master key for new recordings',
    example: 'callvaultctl keys rotate',
  },
  {
    name: 'audit verify',
    summary: 'check the audit hash chain (exit 2 when broken)',
    example: 'callvaultctl audit verify',
  },
  {
    name: 'audit list',
    summary: 'print the audit trail',
    options: [{ flag: '--since TIME', text: 'entries at or after this ISO time' }, json],
    example: 'callvaultctl audit list --since 2026-01-01T00:00:00Z',
  },
  {
    name: 'index rebuild',
    summary: 'rebuild the index from the vault (exit 2 naming any container it could not read)',
    options: [progress],
    example: 'callvaultctl index rebuild',
  },
  {
    name: 'users add',
    args: 'NAME',
    summary: 'create an account for the admin API (password read from stdin)',
    options: [
      { flag: '--role ROLE', text: 'agent, supervisor, admin, qa or dpo' },
      { flag: '--agent ID', text: 'for an agent: its identity in call metadata' },
      { flag: '--password-stdin', text: 'read the password from stdin (required)' },
    ],
    example: 'printf %s "$PW" | callvaultctl users add alice --role supervisor --password-stdin',
  },
  {
    name: 'users list',
    summary: 'list accounts',
    options: [json],
    example: 'callvaultctl users list',
  },
  {
    name: 'users disable|enable|remove',
    args: 'NAME',
    summary: 'disable, enable or remove an account',
    example: 'callvaultctl users disable alice',
  },
  {
    name: 'users passwd',
    args: 'NAME',
    summary: 'set a new password (read from stdin)',
    options: [{ flag: '--password-stdin', text: 'read the password from stdin (required)' }],
    example: 'printf %s "$PW" | callvaultctl users passwd alice --password-stdin',
  },
  {
    name: 'users totp',
    args: 'NAME',
    summary: 'turn on the TOTP second factor (admin, dpo): prints the otpauth URI once',
    options: [{ flag: '--off', text: 'turn it off' }],
    example: 'callvaultctl users totp alice',
  },
  {
    name: 'retention run',
    summary: 'apply the retention policies as of a time; prints what it deleted',
    options: [
      { flag: '--at TIME', text: 'as of this ISO time (default: now)' },
      { flag: '--dry-run', text: 'only say what would be deleted' },
      { flag: '--force', text: 'apply a run dated in the future (otherwise refused)' },
      json,
    ],
    example: 'callvaultctl retention run --dry-run',
  },
  {
    name: 'hold set|release',
    args: 'ID',
    summary: 'set or release a legal hold (retention keeps the recording)',
    options: [reason],
    example: 'callvaultctl hold set 01J9Z8Q4TWQ5N1K2 --reason "case 2026-17"',
  },
  {
    name: 'consent withdraw',
    args: 'NUMBER',
    summary: "erase a caller's recordings (those on legal hold are kept)",
    options: [reason],
    example: 'callvaultctl consent withdraw +4930123456 --reason "letter of 4 May"',
  },
  {
    name: 'restrict set|release',
    args: 'ID',
    summary: 'restrict processing of a recording (GDPR art. 18) or lift it',
    options: [reason],
    example: 'callvaultctl restrict set 01J9Z8Q4TWQ5N1K2 --reason "dispute 88"',
  },
  {
    name: 'erase',
    args: 'ID',
    summary: 'erase one recording (crypto-shred; refused while on legal hold)',
    options: [reason],
    example: 'callvaultctl erase 01J9Z8Q4TWQ5N1K2 --reason "art. 17 request 93"',
  },
  {
    name: 'rectify',
    args: 'ID',
    summary: 'correct metadata of a recording (the signed audio stays as it is); audited',
    options: [
      reason,
      {
        flag: '--field NAME=VALUE',
        text: 'number, agent, agentName, service or direction (repeatable; an empty VALUE removes it)',
      },
    ],
    example: 'callvaultctl rectify 01J9Z8Q4TWQ5N1K2 --field service=billing --reason "art. 16 request 12"',
  },
  {
    name: 'dsar export',
    args: 'NUMBER',
    summary: "a data subject's access copy: their recordings and records in one archive",
    options: [
      { flag: '-o, --output FILE', text: 'where to write the archive' },
      reason,
      { flag: '--force', text: 'overwrite FILE if it exists' },
    ],
    example: 'callvaultctl dsar export +4930123456 -o /tmp/dsar.tar --reason "request 93"',
  },
  {
    name: 'backup',
    summary: 'keys, master key, index and config in one tar (daemon stopped; recordings stay where they are)',
    options: [{ flag: '-o, --output FILE', text: 'where to write the backup' }],
    example: 'callvaultctl backup -o /root/callvault-backup.tar',
  },
  {
    name: 'restore',
    args: 'FILE',
    summary: 'put a backup back; what it replaces is moved aside (daemon stopped)',
    example: 'callvaultctl restore /root/callvault-backup.tar',
  },
  {
    name: 'case link',
    args: 'ID CASE-ID',
    summary: 'link a recording to a case',
    example: 'callvaultctl case link 01J9Z8Q4TWQ5N1K2 C-2026-17',
  },
  {
    name: 'case close',
    args: 'CASE-ID',
    summary: "close a case (its recordings' retention starts)",
    options: [{ flag: '--at TIME', text: 'closed at this ISO time (default: now)' }],
    example: 'callvaultctl case close C-2026-17',
  },
  {
    name: 'case reopen',
    args: 'CASE-ID',
    summary: 'reopen a closed case',
    example: 'callvaultctl case reopen C-2026-17',
  },
  {
    name: 'test-call',
    summary: 'place a SIPREC call at this appliance and check its recording',
    options: [
      { flag: '--seconds N', text: 'length of the call, 1-600 (default 5)' },
      { flag: '--transport udp|tcp|tls', text: 'SIP transport (default: the first configured)' },
      {
        flag: '--from-address ADDR',
        text: 'local address to call from (must be in sip.trusted on production configs)',
      },
    ],
    example: 'callvaultctl test-call --transport tls --from-address 10.0.0.5',
  },
  {
    name: 'help',
    args: '[COMMAND]',
    summary: 'this overview, or the help of one command',
    example: 'callvaultctl help export',
  },
  {
    name: 'grant add',
    args: 'USER',
    summary: 'give a qa or supervisor account access until a time (the DPO; audited)',
    options: [
      { flag: '--until ISO-TIME', text: 'when the grant ends (must be in the future)' },
      { flag: '--reason TEXT', text: 'why (optional; at least 5 visible characters; audited)' },
    ],
    example: 'callvaultctl grant add qa.lena --until 2027-03-31T17:00:00Z --reason "Q1 coaching"',
  },
  {
    name: 'grant list',
    summary: 'grants in force (with --all also expired ones)',
    options: [
      { flag: '--all', text: 'include expired grants' },
      { flag: '--json', text: 'print JSON instead of a table' },
    ],
    example: 'callvaultctl grant list --all',
  },
  {
    name: 'grant revoke',
    args: 'GRANT-ID',
    summary: 'end a grant now: its holder loses access at the next request',
    options: [{ flag: '--reason TEXT', text: 'why (optional; audited)' }],
    example: 'callvaultctl grant revoke 3f1c… --reason "left the QA team"',
  },
  {
    name: 'training-copy',
    args: 'ID',
    summary:
      'make a pseudonymised training copy (no number, names, agent or case; DTMF silenced); prints its id',
    options: [{ flag: '--reason TEXT', text: 'why (optional; at least 5 visible characters; audited)' }],
    example: 'callvaultctl training-copy 3f1c2a9e-… --reason "onboarding set 2027-02"',
  },
];

export const GLOBAL_OPTIONS: readonly OptionHelp[] = [
  { flag: '-c, --config FILE', text: 'configuration file (default /etc/callvault/callvault.yaml)' },
  { flag: '--set key.path=value', text: 'override a configuration key (repeatable)' },
  { flag: '--timeout SECONDS', text: "how long to wait for the daemon's answer" },
  { flag: '-h, --help', text: 'help of the command it follows' },
];
