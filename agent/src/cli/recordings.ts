/**
 * `callvaultctl recordings list|search|show`: the filters both listing commands take, the
 * table of summaries, and the readable summary of one record (the whole record with --json).
 * Every stored text goes through table()/json(), which escape control characters.
 */
import type { Config } from '../config/index.js';
import { parseCommand, UsageError } from './args.js';
import { json as toJson, seconds, table, type Printer } from './output.js';
import type { runStorageCommand } from './run-command.js';

interface Summary {
  id: string;
  startedAt: string;
  durationMs: number;
  direction: string;
  service: string | null;
  agent: string | null;
  number: string | null;
  state: string;
  flags: readonly string[];
}

const LIST_OPTIONS = {
  json: { type: 'boolean' },
  number: { type: 'string' },
  agent: { type: 'string' },
  service: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  case: { type: 'string' },
  flag: { type: 'string' },
  'min-mos': { type: 'string' },
  'max-mos': { type: 'string' },
  limit: { type: 'string' },
} as const;

function isoOption(name: string, v: string | boolean | undefined): string | undefined {
  if (typeof v !== 'string') return undefined;
  if (Number.isNaN(new Date(v).getTime())) throw new UsageError(`--${name} must be an ISO time, got ${v}`);
  return v;
}

function text(v: string | boolean | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function mosOption(name: string, v: string | boolean | undefined): number | undefined {
  if (typeof v !== 'string') return undefined;
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || n < 1 || n > 5)
    throw new UsageError(`--${name} must be a MOS 1-5 such as 3.6, got ${v}`);
  return n;
}

/** The control command's arguments for `recordings list|search` (the same filters for both). */
export function searchArgs(values: Record<string, string | boolean | undefined>): Record<string, unknown> {
  let limit: number | undefined;
  if (typeof values['limit'] === 'string') {
    limit = Number(values['limit']);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1_000_000)
      throw new UsageError(`--limit must be a whole number 1-1000000, got ${values['limit']}`);
  }
  return {
    number: text(values['number']),
    agent: text(values['agent']),
    service: text(values['service']),
    from: isoOption('from', values['from']),
    to: isoOption('to', values['to']),
    caseId: text(values['case']),
    flag: text(values['flag']),
    minMos: mosOption('min-mos', values['min-mos']),
    maxMos: mosOption('max-mos', values['max-mos']),
    limit,
  };
}

function printRecordings(p: Printer, items: readonly Summary[], json: boolean): void {
  if (json) {
    p.out(toJson(items));
    return;
  }
  const rows = [['ID', 'STARTED', 'LENGTH', 'DIR', 'SERVICE', 'AGENT', 'NUMBER', 'STATE']];
  for (const r of items) {
    rows.push([
      r.id,
      r.startedAt,
      seconds(r.durationMs),
      r.direction,
      r.service ?? '-',
      r.agent ?? '-',
      r.number ?? '-',
      [r.state, ...r.flags.filter((f) => f !== r.state)].join(','),
    ]);
  }
  p.out(table(rows));
  p.out(`${items.length} recording(s)`);
}

interface StreamStats {
  packets?: number;
  expected?: number;
  lost?: number;
  jitterMs?: number;
  mos?: number;
  codec?: string | null;
}

interface ShownRecord {
  id: string;
  source: string;
  state: string;
  startedAt: string;
  endedAt: string | null;
  durationMs: number;
  direction: string;
  service: string | null;
  number: string | null;
  numberWithheld: boolean;
  agent: string | null;
  agentName: string | null;
  participants: readonly {
    role: string;
    side: string;
    name: string | null;
    number: string | null;
    withheld: boolean;
  }[];
  caseId: string | null;
  caseClosedAt?: string | null;
  policy: string;
  expiresAt: string | null;
  flags: readonly string[];
  codec: string | null;
  format: { encoding: string; channels: number; sampleRate: number };
  stats: { endReason?: string; streams?: Record<string, StreamStats> } | null;
  digest: string | null;
  legalHold: boolean;
  restricted: boolean;
  consent: string;
  consentEvidence?: { via: string; digit: string | null; stream: string | null; at: string } | null;
  quality?: { mos: number | null; lossPct: number | null; jitterMs: number | null } | null;
}

function yesNo(b: boolean): string {
  return b ? 'yes' : 'no';
}

function quality(label: string, s: StreamStats): string {
  const lossPct =
    s.expected !== undefined && s.expected > 0 ? ((100 * (s.lost ?? 0)) / s.expected).toFixed(1) : '0.0';
  const parts = [`${s.packets ?? 0} packets`, `lost ${s.lost ?? 0} (${lossPct}%)`];
  if (s.jitterMs !== undefined) parts.push(`jitter ${s.jitterMs.toFixed(1)} ms`);
  if (s.mos !== undefined && (s.packets ?? 0) > 0) parts.push(`MOS ${s.mos.toFixed(2)}`);
  if (s.codec) parts.push(s.codec);
  return `${label}: ${parts.join(', ')}`;
}

/** The readable summary of one recording: what a technician or DPO looks for first. */
export function renderRecord(r: ShownRecord): string {
  const party = (x: ShownRecord['participants'][number]): string =>
    `${x.role} (${x.side}): ${x.withheld ? 'withheld' : (x.number ?? '-')}${x.name ? ` ${x.name}` : ''}`;
  const consent =
    r.consent +
    (r.consentEvidence
      ? ` (via ${r.consentEvidence.via}${r.consentEvidence.digit ? ` digit ${r.consentEvidence.digit}` : ''} at ${r.consentEvidence.at})`
      : '');
  const rows: string[][] = [
    ['Recording', r.id],
    ['Started', r.startedAt],
    ['Ended', r.endedAt ?? '- (still recording)'],
    ['Duration', seconds(r.durationMs)],
    ['Direction', r.direction],
    ['Service', r.service ?? '-'],
    ['Agent', [r.agent ?? '-', r.agentName ?? ''].join(' ').trim()],
    ['Number', r.numberWithheld ? 'withheld' : (r.number ?? '-')],
    ...r.participants.map((x, i) => [i === 0 ? 'Parties' : '', party(x)]),
    ['State', `${r.state} (${r.source})`],
    ['Flags', r.flags.length > 0 ? r.flags.join(', ') : '-'],
    ['Legal hold', yesNo(r.legalHold)],
    ['Restricted', yesNo(r.restricted)],
    [
      'Case',
      r.caseId === null ? '-' : `${r.caseId}${r.caseClosedAt ? ` (closed ${r.caseClosedAt})` : ' (open)'}`,
    ],
    ['Consent', consent],
    ['Policy', `${r.policy}, expires ${r.expiresAt ?? 'never'}`],
    ['Audio', `${r.codec ?? r.format.encoding}, ${r.format.channels} ch, ${r.format.sampleRate} Hz`],
    ['Digest', r.digest === null ? '-' : `sha256 ${r.digest}`],
  ];
  const q = r.quality;
  if (q !== undefined && q !== null)
    rows.push([
      'Call quality',
      `MOS ${q.mos ?? '-'} (worst stream), loss ${q.lossPct ?? '-'}%, jitter ${q.jitterMs ?? '-'} ms`,
    ]);
  const streams = Object.entries(r.stats?.streams ?? {});
  streams.forEach(([label, s], i) => rows.push([i === 0 ? 'Quality' : '', quality(label, s)]));
  if (r.stats?.endReason !== undefined) rows.push(['End reason', r.stats.endReason]);
  return table(rows.map(([k, v]) => [k === '' ? '' : `${k}:`, v ?? '']));
}

export async function recordingsCommand(
  config: Config,
  sub: string | undefined,
  rest: readonly string[],
  p: Printer,
  call: typeof runStorageCommand,
): Promise<number> {
  const { values, positionals } = parseCommand(rest, LIST_OPTIONS);
  const json = values['json'] === true;
  if (sub === 'list' || sub === 'search') {
    const { result } = await call(config, 'recordings.search', searchArgs(values));
    printRecordings(p, result, json);
    return 0;
  }
  if (sub === 'show') {
    const id = positionals[0];
    if (id === undefined) throw new UsageError('recordings show ID [--json]');
    const { result } = await call(config, 'recordings.show', { id });
    p.out(json ? toJson(result) : renderRecord(result));
    return 0;
  }
  throw new UsageError('recordings list|search|show');
}
