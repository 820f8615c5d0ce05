/**
 * Pure readers for what the harness observes from outside a process: Prometheus text
 * (event-loop lag, active calls), /proc/net/udp (kernel drops per local port) and a V8
 * .cpuprofile (self time per function inside a time window).
 */

/** Value of the first sample of `name` (no labels) in Prometheus text, or null. */
export function promValue(text: string, name: string): number | null {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!rest.startsWith(' ') && !rest.startsWith('{')) continue;
    const v = Number(rest.slice(rest.lastIndexOf(' ') + 1));
    if (Number.isFinite(v)) return v;
  }
  return null;
}

export interface UdpSocketRow {
  readonly port: number;
  readonly rxQueueBytes: number;
  readonly drops: number;
}

/** Parses /proc/net/udp (IPv4) rows: local port, receive queue and the drops column. */
export function parseProcNetUdp(text: string): UdpSocketRow[] {
  const rows: UdpSocketRow[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 13) continue;
    const local = /^[0-9A-F]{8}:([0-9A-F]{4})$/i.exec(f[1]!);
    const queues = /^[0-9A-F]+:([0-9A-F]+)$/i.exec(f[4]!);
    const drops = Number(f[12]);
    if (local === null || queues === null || !Number.isFinite(drops)) continue;
    rows.push({ port: parseInt(local[1]!, 16), rxQueueBytes: parseInt(queues[1]!, 16), drops });
  }
  return rows;
}

/** Kernel receive drops summed over sockets bound to `ports`. */
export function dropsOnPorts(rows: readonly UdpSocketRow[], ports: ReadonlySet<number>): number {
  let sum = 0;
  for (const r of rows) if (ports.has(r.port)) sum += r.drops;
  return sum;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface SelfTime {
  readonly fn: string;
  readonly selfMs: number;
  readonly share: number;
}

/**
 * Self time per function from samples taken in [fromUs, toUs] (V8 profile clock: µs of
 * CLOCK_MONOTONIC, the clock of process.hrtime), largest first, top `limit`. Whole profile when
 * the window is null.
 */
export function topSelfTime(
  p: CpuProfile,
  window: { fromUs: number; toUs: number } | null,
  limit = 20,
): SelfTime[] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  let t = p.startTime;
  let sum = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    t += dt;
    if (window !== null && (t < window.fromUs || t > window.toUs)) continue;
    const next = p.timeDeltas[i + 1] ?? 0;
    const node = byId.get(p.samples[i]!);
    if (node === undefined) continue;
    const cf = node.callFrame;
    const file = cf.url.replace(/^.*\/(dist|node_modules)\//, '$1/').replace(/^file:\/\//, '');
    const key = `${cf.functionName || '(anonymous)'} ${file}${file === '' ? '' : `:${cf.lineNumber + 1}`}`;
    totals.set(key, (totals.get(key) ?? 0) + next);
    sum += next;
  }
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([fn, us]) => ({ fn, selfMs: us / 1000, share: sum > 0 ? us / sum : 0 }));
}
