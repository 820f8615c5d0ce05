/**
 * The live-listening part of the console benchmark (console-bench.ts): L HTTPS listeners over
 * SIPREC calls from the test SBC, the daemon's CPU time from /proc against the same calls with
 * nobody listening, and whether each listener's audio kept up with the wall clock. Also the one
 * HTTPS request helper both parts use.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import type { RunningDaemon } from '../../test/helpers/daemon.js';
import { AGENT, SiprecClient, type SiprecCall } from '../../test/kit/index.js';

/** Live audio: stereo PCM16 at 8 kHz (G.711 calls). */
const BYTES_PER_S = 8000 * 2 * 2;
const LIVE_SECONDS = 15;
const BASELINE_SECONDS = 5;
/** A listener counts as real time when it got at least this share of the wall time as audio. */
const REAL_TIME_SHARE = 0.95;

export interface LiveRun {
  readonly calls: number;
  readonly listeners: number;
  readonly accepted: number;
  readonly refused: number;
  /** Listeners whose audio kept up with the wall clock (≥ REAL_TIME_SHARE). */
  readonly atRealTime: number;
  readonly minShare: number;
  readonly daemonCpuPct: number;
  /** The daemon's CPU % with the same calls and no listener (same run, just before). */
  readonly callsOnlyCpuPct: number;
}

const r2 = (n: number): number => Math.round(n * 100) / 100;

export function origin(sets: readonly string[]): string {
  return `https://${sets.find((s) => s.startsWith('api.listen='))!.split('=')[1]}`;
}

/** One HTTPS request; resolves with the status and body. */
export function get(
  url: string,
  opts: { token?: string; agent?: Agent; method?: string; json?: unknown } = {},
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const payload = opts.json === undefined ? undefined : JSON.stringify(opts.json);
    const req = request(
      url,
      {
        method: opts.method ?? 'GET',
        rejectUnauthorized: false,
        timeout: 30_000,
        ...(opts.agent ? { agent: opts.agent } : {}),
        headers: {
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
          ...(payload ? { 'content-type': 'application/json' } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** CPU seconds (user + system) of a process so far. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 (utime, stime) are 12 and 13 after the ")": clock ticks of 1/100 s.
  return (Number(rest[11]) + Number(rest[12])) / 100;
}

interface Listener {
  bytes: number;
  firstMs: number;
  lastMs: number;
  status: number;
  close(): void;
}

function listen(url: string, token: string, agent: Agent): Promise<Listener> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { agent, rejectUnauthorized: false, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        const l: Listener = {
          bytes: 0,
          firstMs: -1,
          lastMs: -1,
          status: res.statusCode ?? 0,
          close: () => req.destroy(),
        };
        res.on('data', (d: Buffer) => {
          const now = performance.now();
          if (l.firstMs < 0) l.firstMs = now;
          l.lastMs = now;
          l.bytes += d.length;
        });
        res.on('error', () => undefined);
        if (l.status !== 200) res.resume();
        resolve(l);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** `listeners` listeners over `calls` SIPREC calls (round robin), for LIVE_SECONDS. */
export async function liveRun(
  sets: readonly string[],
  daemon: RunningDaemon,
  token: string,
  calls: number,
  listeners: number,
): Promise<LiveRun> {
  const base = origin(sets);
  const sipPort = Number(/sip\.udp=127\.0\.0\.1:(\d+)/.exec(sets.join(' '))![1]);
  const client = await SiprecClient.open(sipPort, 'udp');
  const agent = new Agent({ keepAlive: true, maxSockets: listeners + 4 });
  const placed: SiprecCall[] = [];
  const open: Listener[] = [];
  try {
    for (let i = 0; i < calls; i++) {
      const c = await client.call({
        streams: [
          { label: 'caller', codec: 'PCMU', toneHz: 440 },
          { label: 'agent', codec: 'PCMU', toneHz: 1000 },
        ],
        caller: {
          name: 'Bench Kund',
          aor: `sip:+4670444${String(calls * 100 + i).padStart(4, '0')}@sbc.example`,
        },
        callee: AGENT,
        direction: 'inbound',
        service: 'bench',
      });
      if ((await c.invite()) !== 200) throw new Error('INVITE refused');
      placed.push(c);
    }
    let stop = false;
    const media = placed.map((c) =>
      c.sendMedia({ durationMs: (BASELINE_SECONDS + LIVE_SECONDS + 10) * 1000, stop: () => stop }),
    );
    // The calls as GET /calls lists them (bounded poll: they are listed from the answer on).
    let ids: string[] = [];
    for (let i = 0; i < 50 && ids.length < calls; i++) {
      const r = await get(`${base}/api/v1/calls`, { token, agent });
      ids = (JSON.parse(r.body.toString()) as { items: { id: string; service: string | null }[] }).items
        .filter((x) => x.service === 'bench')
        .map((x) => x.id);
      if (ids.length < calls) await new Promise((res) => setTimeout(res, 200));
    }
    if (ids.length < calls) throw new Error(`${ids.length} of ${calls} calls listed`);
    // Baseline: the same calls recorded with nobody listening.
    const base0 = cpuSeconds(daemon.child.pid!);
    const b0 = performance.now();
    await new Promise((res) => setTimeout(res, BASELINE_SECONDS * 1000));
    const callsOnlyCpuPct =
      Math.round(((cpuSeconds(daemon.child.pid!) - base0) / ((performance.now() - b0) / 1000)) * 1000) / 10;
    for (let i = 0; i < listeners; i++)
      open.push(
        await listen(
          `${base}/api/v1/calls/${ids[i % calls]!}/listen?reason=${encodeURIComponent('benchmark of live listening')}`,
          token,
          agent,
        ),
      );
    const accepted = open.filter((l) => l.status === 200);
    // Measure from 2 s in (every listener started) for LIVE_SECONDS.
    await new Promise((res) => setTimeout(res, 2000));
    const startBytes = accepted.map((l) => l.bytes);
    const cpu0 = cpuSeconds(daemon.child.pid!);
    const t0 = performance.now();
    await new Promise((res) => setTimeout(res, LIVE_SECONDS * 1000));
    const wallS = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(daemon.child.pid!) - cpu0;
    const shares = accepted.map((l, i) => (l.bytes - startBytes[i]!) / BYTES_PER_S / wallS);
    stop = true;
    await Promise.all(media);
    for (const c of placed) await c.bye();
    return {
      calls,
      listeners,
      accepted: accepted.length,
      refused: listeners - accepted.length,
      atRealTime: shares.filter((s) => s >= REAL_TIME_SHARE).length,
      minShare: r2(Math.min(...shares)),
      daemonCpuPct: Math.round((cpu / wallS) * 1000) / 10,
      callsOnlyCpuPct,
    };
  } finally {
    for (const l of open) l.close();
    agent.destroy();
    await client.close();
  }
}
