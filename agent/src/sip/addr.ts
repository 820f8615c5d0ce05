/**
 * Addresses: listen specs ("ADDR:PORT" | "off", the `sip.udp` / `sip.tcp` / `sip.tls` config
 * format), the trusted-source list, and where a response goes (RFC 3261 §18.2.2).
 */
import { BlockList, isIP } from 'node:net';
import { SipConfigError } from './errors.js';
import type { Via } from './types.js';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
  readonly family: 4 | 6;
}

/** "127.0.0.1:5060", "[::1]:5060" → ListenAddress; "off" or undefined → undefined. */
export function parseListen(key: string, spec: string | undefined): ListenAddress | undefined {
  if (spec === undefined || spec === 'off') return undefined;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):([0-9]{1,5})$/.exec(spec);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  const family = host === undefined ? 0 : isIP(host);
  if (host === undefined || (family !== 4 && family !== 6) || port > 65535) {
    throw new SipConfigError(
      key,
      `must be "ADDR:PORT" (IPv6 in brackets) or off, got ${JSON.stringify(spec)}`,
    );
  }
  return { host, port, family };
}

/** The `sip.trusted` list (addresses and CIDRs, IPv4 and IPv6) as a matcher. */
export function makeTrustList(entries: readonly string[]): (address: string) => boolean {
  const list = new BlockList();
  for (const entry of entries) {
    const [addr = '', bits] = entry.split('/');
    const family = isIP(addr);
    if (family === 0)
      throw new SipConfigError('sip.trusted', `not an address or CIDR: ${JSON.stringify(entry)}`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) {
      list.addAddress(addr, type);
    } else {
      const prefix = Number(bits);
      if (!/^[0-9]{1,3}$/.test(bits) || prefix > (family === 4 ? 32 : 128)) {
        throw new SipConfigError('sip.trusted', `bad prefix length in ${JSON.stringify(entry)}`);
      }
      list.addSubnet(addr, prefix, type);
    }
  }
  return (address) => {
    const family = isIP(address);
    if (family === 0) return false;
    return list.check(address, family === 4 ? 'ipv4' : 'ipv6');
  };
}

export interface Destination {
  readonly address: string;
  readonly port: number;
}

/**
 * Where a response to a request from `source` goes over UDP. The host is always the packet's
 * source address — what `received` records (§18.2.1) — so a Via naming another host (the
 * RFC 4475 messages do) can never steer a response off the sender. The port is rport when
 * the client asked for it (RFC 3581), else the sent-by port, else 5060. A Via with maddr
 * (multicast) is refused: a recorder never answers to a group. `forceRport` answers to the
 * source port even when the client did not ask (Kamailio's force_rport): right behind NAT.
 */
export function responseDestination(
  top: Via,
  source: Destination,
  forceRport = false,
): Destination | undefined {
  if (top.maddr !== undefined) return undefined;
  if (top.rport !== undefined || forceRport) return { address: source.address, port: source.port };
  return { address: source.address, port: top.port ?? 5060 };
}
