/**
 * Where call set-up time goes: places N SIPREC calls (window W in flight) at a fresh daemon and
 * prints the INVITE → 200 OK latency distribution next to the daemon's CPU per call.
 * Run: npx tsx scripts/bench/setup-latency.ts [N=400] [W=32]   (after `npm run build`)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { isolatedSets, startDaemon } from '../../test/helpers/daemon.js';
import { SipLoadClient } from './load/sip-load-client.js';
import { cpuSeconds } from './load/procs.js';

const n = Number(process.argv[2] ?? 400);
const window = Number(process.argv[3] ?? 32);
const dir = mkdtempSync(join(tmpdir(), 'cv-setup-'));
// startDaemon waits for the info line that says what it listens on (log.level=info).
const d = await startDaemon(await isolatedSets(join(dir, 'storage'), ['media.rtp_ports=20000-29999']));
const sip = d.ports.sipUdp!;
try {
  const client = await SipLoadClient.open({ host: '127.0.0.1', port: sip });
  const cpu0 = cpuSeconds(d.child.pid!);
  const t0 = Date.now();
  const lat: number[] = [];
  const failures = new Map<string, number>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const s = Date.now();
      const r = await client.call(next++);
      if (typeof r !== 'string') lat.push(Date.now() - s);
      else failures.set(r, (failures.get(r) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: window }, worker));
  const secs = (Date.now() - t0) / 1000;
  const cpu = cpuSeconds(d.child.pid!) - cpu0;
  lat.sort((a, b) => a - b);
  const q = (p: number): number => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!;
  console.log(
    JSON.stringify({
      calls: lat.length,
      perSecond: Math.round(lat.length / secs),
      cpuMsPerCall: +((cpu * 1000) / lat.length).toFixed(2),
      cpuShare: +(cpu / secs).toFixed(2),
      latencyMs: { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: lat[lat.length - 1] },
      failures: Object.fromEntries(failures),
    }),
  );
  await client.close();
  if (process.env.CV_SETUP_METRICS === '1') {
    const text = await (await fetch(d.metricsUrl!)).text();
    const memory = /^callvault_process_(resident_memory|nodejs_heap_size_used|nodejs_heap_size_total|nodejs_external_memory)/;
    console.log(text.split('\n').filter((l) => /^callvault_sip|^callvault_calls/.test(l) || memory.test(l)).join('\n'));
  }
} finally {
  await d.stop();
  rmSync(dir, { recursive: true, force: true });
}
