/**
 * Cross-field checks, run on values that passed their own key's check. Pure except for
 * stat() of the paths that must (or whose parent must) exist: nothing is opened or created.
 */
import { statSync } from 'node:fs';
import { isIP } from 'node:net';
import { basename, dirname } from 'node:path';
import { DEFAULT_ORIGIN, problemAt, type Origin } from './source.js';
import type { ValidationContext } from './validate.js';
import { formatListen, formatPortRange } from './values.js';
import type { ListenAddress, PortRange } from './types.js';

type Section = Readonly<Record<string, unknown>> | undefined;
export type ValidatedTree = Readonly<Record<string, Section>>;

function kindOf(path: string): 'file' | 'dir' | 'other' | 'missing' {
  const st = statSync(path, { throwIfNoEntry: false });
  if (st === undefined) return 'missing';
  return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other';
}

const isListen = (v: unknown): v is ListenAddress =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as ListenAddress).host === 'string' &&
  typeof (v as ListenAddress).port === 'number';

/** Whether two TCP listeners would fight over a socket (a wildcard covers its family, `::` both). */
function listenersClash(a: ListenAddress, b: ListenAddress): boolean {
  if (a.port !== b.port || a.port === 0) return false;
  if (a.host === b.host || a.host === '::' || b.host === '::') return true;
  const v4 = (h: string): boolean => !h.includes(':');
  return (a.host === '0.0.0.0' && v4(b.host)) || (b.host === '0.0.0.0' && v4(a.host));
}

/** 127.0.0.0/8, ::1 and their IPv4-mapped form: reachable from this host only. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::1' || h === '0:0:0:0:0:0:0:1';
}

export function crossChecks(tree: ValidatedTree, ctx: ValidationContext): void {
  const origin = (key: string): Origin => ctx.origins.get(key) ?? DEFAULT_ORIGIN;
  const report = (key: string, at: string, message: string): void => {
    ctx.problems.push(problemAt(key, origin(at), message));
  };
  const { sip, api, storage, media } = tree;

  if (sip !== undefined && isListen(sip.tls)) {
    for (const key of ['tls_cert', 'tls_key'] as const) {
      if (sip[key] === null) report(`sip.${key}`, 'sip.tls', 'is required when sip.tls is on');
    }
  }
  for (const [section, name] of [
    [sip, 'sip'],
    [api, 'api'],
  ] as const) {
    if (section === undefined) continue;
    const cert = section.tls_cert;
    const key = section.tls_key;
    if (name === 'api' && (cert === null) !== (key === null)) {
      const missing = cert === null ? 'tls_cert' : 'tls_key';
      report(
        `api.${missing}`,
        `api.${missing === 'tls_cert' ? 'tls_key' : 'tls_cert'}`,
        'is required when the other of api.tls_cert / api.tls_key is set (give both, or neither to generate a pair)',
      );
    }
    for (const k of ['tls_cert', 'tls_key'] as const) {
      const path = section[k];
      if (typeof path !== 'string') continue;
      const kind = kindOf(path);
      if (kind === 'missing') report(`${name}.${k}`, `${name}.${k}`, `file does not exist: ${path}`);
      else if (kind !== 'file')
        report(
          `${name}.${k}`,
          `${name}.${k}`,
          `must be a file, got ${path} (a ${kind === 'dir' ? 'directory' : 'special file'})`,
        );
    }
  }

  const tcpListeners: [string, unknown][] = [
    ['sip.tcp', sip?.tcp],
    ['sip.tls', sip?.tls],
    ['api.listen', api?.listen],
    ['metrics.listen', tree.metrics?.listen],
  ];
  // Report a clash on the key the technician wrote (not on a default it collides with).
  tcpListeners.forEach(([key, value], i) => {
    if (!isListen(value)) return;
    for (const [otherKey, other] of tcpListeners.slice(0, i)) {
      if (!isListen(other) || !listenersClash(other, value)) continue;
      const [blamed, blamedValue, innocent, innocentValue] =
        origin(key).source === 'default' && origin(otherKey).source !== 'default'
          ? [otherKey, other, key, value]
          : [key, value, otherKey, other];
      report(
        blamed,
        blamed,
        `${formatListen(blamedValue)} clashes with ${innocent} (${formatListen(innocentValue)}): each TCP listener needs its own address:port`,
      );
      return;
    }
  });

  // Plain HTTP without login: on the network only towards scrapers someone named (issue 15).
  const metrics = tree.metrics;
  if (metrics !== undefined && isListen(metrics.listen) && !isLoopback(metrics.listen.host)) {
    if (Array.isArray(metrics.allow) && metrics.allow.length === 0) {
      report(
        'metrics.allow',
        'metrics.listen',
        `is required when metrics.listen (${formatListen(metrics.listen)}) is not a loopback address: list the scrapers' addresses or CIDRs (e.g. [10.0.0.5/32]), or listen on 127.0.0.1`,
      );
    }
  }

  const range = media?.rtp_ports as PortRange | undefined;
  if (range !== undefined) {
    for (const [key, value] of [['sip.udp', sip?.udp], ...tcpListeners] as [string, unknown][]) {
      if (isListen(value) && value.port >= range.low && value.port <= range.high) {
        report(
          key,
          key,
          `port ${value.port} lies inside media.rtp_ports ${formatPortRange(range)}, which RTP needs for itself`,
        );
      }
    }
  }
  if (
    media !== undefined &&
    typeof media.jitter_buffer_ms === 'number' &&
    typeof media.rtp_timeout_ms === 'number'
  ) {
    if (media.jitter_buffer_ms >= media.rtp_timeout_ms) {
      report(
        'media.jitter_buffer_ms',
        'media.jitter_buffer_ms',
        `must be less than media.rtp_timeout_ms (${media.rtp_timeout_ms}), got ${media.jitter_buffer_ms}`,
      );
    }
  }

  const dir = storage?.dir;
  if (typeof dir === 'string') {
    const kind = kindOf(dir);
    if (kind === 'missing') {
      const parentKind = kindOf(dirname(dir));
      if (parentKind !== 'dir') {
        report(
          'storage.dir',
          'storage.dir',
          `parent directory ${dirname(dir)} ${parentKind === 'missing' ? 'does not exist' : 'is not a directory'} (the vault creates ${basename(dir)} itself, not its parents)`,
        );
      }
    } else if (kind !== 'dir') {
      report('storage.dir', 'storage.dir', `must be a directory, got ${dir} (a file)`);
    }
  }
  const groups = api?.stats_agent_groups;
  if (Array.isArray(groups)) {
    for (const g of groups as unknown[]) {
      if (typeof g !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_-]{0,39}:[^\s:]{1,40}$/.test(g))
        report(
          'api.stats_agent_groups',
          'api.stats_agent_groups',
          `each entry must be "GROUP:PREFIX" (e.g. "billing:72"), got ${JSON.stringify(g)}`,
        );
    }
  }
  const keyFile = tree.keys?.master_key_file;
  if (typeof keyFile === 'string' && kindOf(keyFile) === 'dir') {
    report('keys.master_key_file', 'keys.master_key_file', `must be a file, got ${keyFile} (a directory)`);
  }
}
