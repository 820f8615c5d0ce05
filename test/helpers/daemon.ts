/**
 * Test harness: runs the real daemon (bin/callvault.js, built by `make`) and the real CLI on
 * loopback (listeners on port 0, the bound ports read from its `ready` line) and a temp
 * storage dir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { once } from 'node:events';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DAEMON_BIN = join(ROOT, 'bin', 'callvault.js');
export const CTL_BIN = join(ROOT, 'bin', 'callvaultctl.js');
export const DEV_CONFIG = join(ROOT, 'firmware-config', 'dev.yaml');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion (bounded), feeding `stdin` if given. */
export function run(
  cmd: string,
  args: readonly string[],
  opts: { stdin?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: ROOT,
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(opts.stdin ?? '');
  });
}

/** Loopback with port 0: the kernel picks a free port at bind time; the daemon reports it. */
export const ANY_PORT = '127.0.0.1:0';

/**
 * The --set list that puts a daemon on loopback with its own storage dir. Every listener is on
 * port 0 and startDaemon() learns the ports from the daemon's `ready` line, so two daemons (or
 * two test runs) never race for a port picked in advance.
 */
export async function isolatedSets(storageDir: string, extra: readonly string[] = []): Promise<string[]> {
  return Promise.resolve([
    `storage.dir=${storageDir}`,
    `sip.udp=${ANY_PORT}`,
    `sip.tcp=${ANY_PORT}`,
    `api.listen=${ANY_PORT}`,
    `metrics.listen=${ANY_PORT}`,
    // A scrape right after an action must see it even when a loaded test machine stalls the
    // daemon's loop; the fallback to the last render is tested in test/unit/metrics/server.
    'metrics.fresh_wait_ms=0',
    // Load shedding refuses calls while the loop runs late; on a shared, loaded test machine that
    // measures the machine, not the daemon. Tests of shedding set it again (later --set wins).
    'sip.overload_lag_ms=0',
    'log.level=info',
    ...extra,
  ]);
}

export function setArgs(sets: readonly string[]): string[] {
  return sets.flatMap((s) => ['--set', s]);
}

export function ctl(
  sets: readonly string[],
  args: readonly string[],
  opts: { stdin?: string } = {},
): Promise<CliResult> {
  return run(process.execPath, [CTL_BIN, '--config', DEV_CONFIG, ...setArgs(sets), ...args], opts);
}

/** The ports the daemon bound (null: that listener is off). */
export interface DaemonPorts {
  readonly sipUdp: number | null;
  readonly sipTcp: number | null;
  readonly sipTls: number | null;
  readonly api: number | null;
  readonly metrics: number | null;
}

/** A daemon process and its output (what a test that spawns one itself also has). */
export interface DaemonProcess {
  readonly child: ChildProcess;
  readonly logs: () => string;
  /** Sends a signal and resolves with the exit code (bounded). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number>;
}

/** A daemon started by startDaemon(): its bound ports and a callvaultctl aimed at it. */
export interface RunningDaemon extends DaemonProcess {
  readonly ports: DaemonPorts;
  /** https://127.0.0.1:PORT of the admin API (null when off). */
  readonly apiUrl: string | null;
  /** http://127.0.0.1:PORT/metrics (null when off). */
  readonly metricsUrl: string | null;
  /** callvaultctl with this daemon's config: its --set list, the bound ports in place of port 0. */
  ctl(args: readonly string[], opts?: { stdin?: string }): Promise<CliResult>;
}

/** The parts of the daemon's `ready` log line that name what it listens on. */
export interface ReadyLine {
  readonly sip?: readonly string[];
  readonly api?: string;
  readonly metrics?: string;
}

const portIn = (url: string | undefined): number | null => {
  const m = /:(\d+)(?:\/|$)/.exec(url ?? '');
  return m === null ? null : Number(m[1]);
};

/** The bound addresses from the `ready` line: `sip: ["udp:127.0.0.1:5060", …]`, api/metrics URLs. */
export function portsFromReady(ready: ReadyLine): DaemonPorts {
  const sip = (t: string): number | null => portIn(ready.sip?.find((a) => a.startsWith(`${t}:`)));
  return {
    sipUdp: sip('udp'),
    sipTcp: sip('tcp'),
    sipTls: sip('tls'),
    api: ready.api === 'off' ? null : portIn(ready.api),
    metrics: ready.metrics === 'off' ? null : portIn(ready.metrics),
  };
}

/** The daemon's `ready` line in its output so far, once it is there whole. */
export function readyLineIn(out: string): ReadyLine | null {
  const line = /^[^\n]*"msg":"ready"[^\n]*(?=\n)/m.exec(out)?.[0];
  return line === undefined ? null : (JSON.parse(line) as ReadyLine);
}

const SET_OF_PORT: readonly (readonly [string, keyof DaemonPorts])[] = [
  ['sip.udp', 'sipUdp'],
  ['sip.tcp', 'sipTcp'],
  ['sip.tls', 'sipTls'],
  ['api.listen', 'api'],
  ['metrics.listen', 'metrics'],
];

/**
 * Writes the bound ports over the port-0 entries of `sets`, in place: whatever the test does
 * with its list afterwards (ctl, a restart on the same ports, reading an address) sees the
 * addresses the daemon really listens on. startDaemon() does this; a test that spawns the
 * daemon itself calls it with the parsed `ready` line.
 */
export function resolveSets(sets: string[], ready: ReadyLine): void {
  const ports = portsFromReady(ready);
  for (const [key, field] of SET_OF_PORT) {
    const i = sets.findIndex((s) => s === `${key}=${ANY_PORT}`);
    const port = ports[field];
    if (i >= 0 && port !== null) sets[i] = `${key}=127.0.0.1:${port}`;
  }
}

/** Starts the daemon and resolves when it logs "ready" (or rejects with its output). */
export async function startDaemon(
  sets: string[],
  timeoutMs = 20_000,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningDaemon> {
  const child = spawn(process.execPath, [DAEMON_BIN, '--config', DEV_CONFIG, ...setArgs(sets)], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let ready: ReadyLine = {};
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`daemon not ready in ${timeoutMs} ms:\n${out}`)),
      timeoutMs,
    );
    const onData = (d: Buffer): void => {
      out += d.toString();
      const line = readyLineIn(out);
      if (line !== null) {
        clearTimeout(timer);
        ready = line;
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    void exited.then(([code]) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited ${code} before ready:\n${out}`));
    });
  });
  const ports = portsFromReady(ready);
  resolveSets(sets, ready);
  return {
    child,
    logs: () => out,
    ports,
    apiUrl: ports.api === null ? null : `https://127.0.0.1:${ports.api}`,
    metricsUrl: ports.metrics === null ? null : `http://127.0.0.1:${ports.metrics}/metrics`,
    ctl: (args, opts) => ctl(sets, args, opts),
    async stop(signal: NodeJS.Signals = 'SIGTERM', stopTimeoutMs = 20_000): Promise<number> {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
      const [code, sig] = await exited;
      clearTimeout(timer);
      return code ?? (sig === 'SIGKILL' ? 137 : -1);
    },
  };
}
