/**
 * describeConfig: the effective config as plain JSON for `callvaultctl config check --json`.
 * Listeners and the port range are shown in their YAML spelling so a technician can paste
 * them back. The config holds no secrets (key material is in files, named by path only).
 */
import { formatListen, formatPortRange } from './values.js';
import type { Config } from './types.js';

export type JsonValue =
  string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };
export type ConfigDescription = { readonly [key: string]: JsonValue };

function toJson(value: unknown): JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return value;
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  return null;
}

export function describeConfig(config: Config): ConfigDescription {
  const { sip, media, api, metrics } = config;
  return toJson({
    file: config.file,
    sip: { ...sip, udp: formatListen(sip.udp), tcp: formatListen(sip.tcp), tls: formatListen(sip.tls) },
    media: { ...media, rtp_ports: formatPortRange(media.rtp_ports) },
    tap: config.tap,
    storage: config.storage,
    keys: config.keys,
    policy: config.policy,
    policies_known: Object.keys(config.policies),
    api: { ...api, listen: formatListen(api.listen) },
    metrics: { listen: formatListen(metrics.listen) },
    log: config.log,
  }) as ConfigDescription;
}
