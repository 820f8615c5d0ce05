/**
 * Which service a call concerns (seed 001 stores it per call). The SBC may say it in metadata;
 * otherwise the number the customer dialled (DNIS) identifies the service line.
 */
import { normaliseNumber } from '../common/index.js';
import type { SessionInfo } from './types.js';

/**
 * Config `number → service name`. A key is a number ('+4681234500', '0201234') or a prefix
 * ending in '*' ('+46812345*'); the longest matching prefix wins, an exact key beats any prefix.
 */
export type ServiceMap = Readonly<Record<string, string>>;

/**
 * Resolution order: the service the ingest path already set (metadata) → the dialled number →
 * for inbound calls the callee's number, for outbound calls the caller's (the line the agent
 * called from). Returns null when nothing matches.
 */
export function resolveService(info: SessionInfo, serviceMap: ServiceMap): string | null {
  if (info.service !== null && info.service !== '') return info.service;
  const caller = info.participants.find((p) => p.role === 'caller') ?? null;
  const callee = info.participants.find((p) => p.role === 'callee') ?? null;
  const line = info.direction === 'outbound' ? caller : info.direction === 'inbound' ? callee : null;
  for (const candidate of [info.dialledNumber, line?.number ?? null]) {
    const found = lookup(candidate, serviceMap);
    if (found !== null) return found;
  }
  return null;
}

/** Exact match first, then the longest '*' prefix. Keys are normalised like numbers. */
export function lookupService(number: string, serviceMap: ServiceMap): string | null {
  return lookup(number, serviceMap);
}

function lookup(number: string | null, serviceMap: ServiceMap): string | null {
  const wanted = normaliseNumber(number);
  if (wanted === null) return null;
  let bestPrefix = -1;
  let best: string | null = null;
  for (const [key, service] of Object.entries(serviceMap)) {
    if (key.endsWith('*')) {
      const prefix = normalisePrefix(key.slice(0, -1));
      if (prefix !== null && wanted.startsWith(prefix) && prefix.length > bestPrefix) {
        bestPrefix = prefix.length;
        best = service;
      }
    } else if (normaliseNumber(key) === wanted) {
      return service;
    }
  }
  return best;
}

/** Prefixes are short, so they skip the '00' → '+' rewrite's minimum length. */
function normalisePrefix(prefix: string): string | null {
  const compact = prefix.trim().replace(/[\s\-.()]/g, '');
  if (compact.startsWith('00')) return `+${compact.slice(2)}`;
  return /^\+?\d*$/.test(compact) ? compact : null;
}
