/**
 * Who may scrape (config metrics.allow). /metrics is plain HTTP without login and names trunks,
 * disks and call volumes, so by default only this host reads it; a site that scrapes from the
 * network lists its Prometheus servers and everyone else gets 403 (issue 15).
 */
import { BlockList, isIP } from 'node:net';

/** Source-address check; an empty allow-list means loopback only. */
export function sourceMatcher(allow: readonly string[]): (address: string | undefined) => boolean {
  const list = new BlockList();
  const entries = allow.length > 0 ? allow : ['127.0.0.0/8', '::1/128'];
  for (const entry of entries) {
    // Validated by config/ (metrics.allow); a bad entry here is a programming error.
    const [addr = '', bits] = entry.split('/');
    const type = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(addr, type);
    else list.addSubnet(addr, Number(bits), type);
  }
  return (address) => {
    if (address === undefined) return false;
    // A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d; match them as IPv4.
    const plain = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
    const family = isIP(plain);
    if (family === 0) return false;
    return list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
  };
}
