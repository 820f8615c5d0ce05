/**
 * Shared by the native addon suites: the fault-injection builds (native/build/faults/*.node, see
 * napi-util.h) make their n-th checked call fail when told failAfter(n); walking n = 0, 1, … until
 * a call succeeds visits every failure point of that call once.
 */
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** What every fault-injection build exports besides its own functions. */
export interface FaultInjecting {
  failAfter(n: number): void;
}

export const openFds = (): number => readdirSync('/proc/self/fd').length;

/**
 * Calls fn with the n-th checked call of `addon` failing, for n = 0, 1, … until it succeeds
 * (at most `maxPoints` tries); the codes thrown, in order, and the successful result.
 * `check` runs after each failure (e.g. that nothing the call acquired is left open).
 */
export function walkFailures<T>(
  addon: FaultInjecting,
  maxPoints: number,
  fn: () => T,
  check: () => void,
): { codes: string[]; result: T } {
  const codes: string[] = [];
  for (let n = 0; n < maxPoints; n++) {
    addon.failAfter(n);
    try {
      const result = fn();
      return { codes, result };
    } catch (err) {
      codes.push((err as { code?: string }).code ?? '(none)');
      check();
    } finally {
      addon.failAfter(-1);
    }
  }
  assert.fail('no run without an injected failure');
}

/**
 * The local port a UDP socket fd of this process is bound to, read back from the kernel
 * (/proc/net/udp{,6} by the socket's inode): for sockets an addon opened on port 0, whose
 * fd is all the addon returns.
 */
export function boundUdpPort(fd: number): number {
  const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1];
  assert.ok(inode !== undefined, `fd ${fd} is a socket`);
  for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // sl local_address rem_address st tx:rx tr:tm retrnsmt uid timeout inode …
      if (cols[9] === inode) return parseInt(cols[1]!.split(':')[1]!, 16);
    }
  }
  assert.fail(`socket inode ${inode} not in /proc/net/udp`);
}
