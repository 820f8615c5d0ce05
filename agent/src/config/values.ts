/**
 * Parsers for the config's compound scalars. Each returns the value or a message in the
 * STYLE form "must be …, got …" so the caller only adds key and place.
 */
import { isIP } from 'node:net';
import type { ListenAddress, PortRange } from './types.js';

export type Parsed<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(message: string): Parsed<T> => ({ ok: false, message });

/** How a raw YAML value is quoted in messages: strings in JSON quotes, the rest plainly. */
export function describeValue(raw: unknown): string {
  if (raw === null || raw === undefined) return 'an empty value';
  if (typeof raw === 'string') return JSON.stringify(raw);
  if (Array.isArray(raw)) return 'a list';
  if (typeof raw === 'object') return 'a mapping';
  return String(raw);
}

export const LISTEN_EXPECT = 'must be "ADDR:PORT", "[IPv6]:PORT" (quoted in YAML) or off';

/** `off` (or an empty value) turns a listener off. */
export function parseListen(raw: unknown): Parsed<ListenAddress | null> {
  if (raw === null || raw === 'off' || raw === false) return ok(null);
  const bad = fail<ListenAddress | null>(`${LISTEN_EXPECT}, got ${describeValue(raw)}`);
  if (typeof raw !== 'string') return bad;
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(raw.trim());
  if (m === null) return bad;
  const host = m[1] ?? m[2] ?? '';
  const port = Number(m[3]);
  const family = isIP(host);
  if ((m[1] !== undefined && family !== 6) || (m[2] !== undefined && family !== 4)) {
    return fail(`${LISTEN_EXPECT}; ${JSON.stringify(host)} is not an IP address, got ${describeValue(raw)}`);
  }
  if (port > 65535) return fail(`port must be 0-65535 (0 = any free port), got ${describeValue(raw)}`);
  return ok({ host, port });
}

export function formatListen(address: ListenAddress | null): string {
  if (address === null) return 'off';
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

const RANGE_EXPECT = 'must be "LOW-HIGH" with 1024 <= LOW < HIGH <= 65535';

export function parsePortRange(raw: unknown): Parsed<PortRange> {
  const m = typeof raw === 'string' ? /^\s*(\d{1,6})\s*-\s*(\d{1,6})\s*$/.exec(raw) : null;
  if (m === null) return fail(`${RANGE_EXPECT}, got ${describeValue(raw)}`);
  const low = Number(m[1]);
  const high = Number(m[2]);
  const got = describeValue(raw);
  if (low < 1024 || high > 65535 || low > 65535 || high < 1024) return fail(`${RANGE_EXPECT}, got ${got}`);
  if (low === high) return fail(`must span at least 2 ports (one RTP/RTCP pair), got ${got}`);
  if (low > high) return fail(`${RANGE_EXPECT} (LOW and HIGH are reversed), got ${got}`);
  if (low % 2 !== 0)
    return fail(`LOW must be even (RTP on even ports, RTCP on the next odd one), got ${got}`);
  return ok({ low, high });
}

export function formatPortRange(range: PortRange): string {
  return `${range.low}-${range.high}`;
}

/** An IPv4/IPv6 address or CIDR with no host bits set; returns the text trimmed. */
export function parseCidr(raw: unknown): Parsed<string> {
  const expect = 'must be an IPv4/IPv6 address or CIDR (e.g. 10.0.0.0/8, 2001:db8::/32)';
  if (typeof raw !== 'string') return fail(`${expect}, got ${describeValue(raw)}`);
  const text = raw.trim();
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const family = isIP(addr);
  if (family === 0) return fail(`${expect}, got ${describeValue(raw)}`);
  if (slash < 0) return ok(text);
  const bits = family === 4 ? 32 : 128;
  const prefixText = text.slice(slash + 1);
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= bits)) {
    return fail(`${expect}; the prefix length must be 0-${bits}, got ${describeValue(raw)}`);
  }
  const value = addressToBigInt(addr, family);
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  if ((value & hostMask) !== 0n) {
    const network = bigIntToAddress(value & ~hostMask, family);
    return fail(
      `${expect}; host bits are set (did you mean ${network}/${prefix}?), got ${describeValue(raw)}`,
    );
  }
  return ok(text);
}

function addressToBigInt(addr: string, family: number): bigint {
  if (family === 4) return addr.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
  let text = addr;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1] !== undefined) {
    const n = addressToBigInt(v4[1], 4);
    text = `${text.slice(0, -v4[1].length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headParts = head === '' ? [] : head.split(':');
  const tailParts = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? [] : new Array<string>(8 - headParts.length - tailParts.length).fill('0');
  return [...headParts, ...fill, ...tailParts].reduce(
    (acc, part) => (acc << 16n) | BigInt(parseInt(part, 16)),
    0n,
  );
}

function bigIntToAddress(value: bigint, family: number): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  const groups: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(((value >> s) & 0xffffn).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

const BYTE_UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** A byte count as an integer or with a unit ("1 GiB", "500MB"). */
export function parseBytes(raw: unknown, min: number): Parsed<number> {
  const expect = `must be a byte count >= ${min} (an integer, or with a unit: KiB MiB GiB TiB KB MB GB TB)`;
  let value: number;
  if (typeof raw === 'number') {
    value = raw;
  } else if (typeof raw === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]+)?\s*$/.exec(raw);
    const factor = m?.[2] === undefined ? 1 : BYTE_UNITS[m[2].toLowerCase()];
    if (m === null || factor === undefined) return fail(`${expect}, got ${describeValue(raw)}`);
    value = Math.round(Number(m[1]) * factor);
  } else {
    return fail(`${expect}, got ${describeValue(raw)}`);
  }
  if (!Number.isSafeInteger(value) || value < min) return fail(`${expect}, got ${describeValue(raw)}`);
  return ok(value);
}
