/**
 * Child processes of the load benchmark: compiling the C tools, starting programs pinned to a
 * core (taskset), reading their CPU time and RSS from /proc, and stopping them (bounded:
 * SIGTERM, then SIGKILL). Every child the harness starts goes through `startPinned`, so the
 * driver's finally blocks can stop all of them.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LoadBenchError, BENCH_CHILD_FAILED, BENCH_TIMEOUT } from './errors.js';

const CLOCK_TICKS_PER_S = ((): number => {
  const r = spawnSync('getconf', ['CLK_TCK']);
  const n = Number(r.stdout?.toString().trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

/**
 * The node flags the shipped systemd unit starts the daemon with (ExecStart=/usr/bin/node FLAGS
 * …/bin/callvault.js), so the benchmark measures the daemon as installed.
 */
export function daemonNodeFlags(root: string): string[] {
  const unit = readFileSync(join(root, 'systemd', 'callvault.service'), 'utf8');
  const m = /^ExecStart=\S*node((?:\s+--\S+)*)\s+\S*\/bin\/callvault\.js/m.exec(unit);
  if (m === null)
    throw new LoadBenchError(
      BENCH_CHILD_FAILED,
      'systemd/callvault.service has no ExecStart running bin/callvault.js',
    );
  return m[1]!.split(/\s+/).filter((f) => f !== '');
}

/** Compiles scripts/bench/load/NAME.c into DIR/NAME with `cc -O2` unless the binary is newer. */
export function buildC(root: string, outDir: string, name: string): string {
  const src = join(root, 'scripts', 'bench', 'load', `${name}.c`);
  const bin = join(outDir, name);
  mkdirSync(outDir, { recursive: true });
  if (existsSync(bin) && statSync(bin).mtimeMs >= statSync(src).mtimeMs) return bin;
  const r = spawnSync('cc', ['-O2', '-Wall', '-o', bin, src, '-lm'], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0)
    throw new LoadBenchError(BENCH_CHILD_FAILED, `cc ${name}.c failed`, {
      context: { stderr: r.stderr ?? '' },
    });
  return bin;
}

export interface Pinned {
  readonly child: ChildProcess;
  readonly pid: number;
  /** stdout+stderr so far (last 64 KiB), for error messages. */
  output(): string;
  /** Resolves with the exit code (or signal name) once it exited. */
  readonly exited: Promise<number | string>;
}

/** Starts `cmd args` on one core (taskset execs the command, so the pid is the program's). */
export function startPinned(
  core: number | null,
  cmd: string,
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Pinned {
  const argv = core === null ? [cmd, ...args] : ['taskset', '-c', String(core), cmd, ...args];
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer): void => {
    out = (out + d.toString()).slice(-65536);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1));
    child.on('error', () => resolve(-1));
  });
  if (child.pid === undefined) throw new LoadBenchError(BENCH_CHILD_FAILED, `cannot start ${cmd}`);
  const pinned: Pinned = { child, pid: child.pid, output: () => out, exited };
  live.add(pinned);
  void exited.then(() => live.delete(pinned));
  return pinned;
}

/** Children started by this harness and not yet exited: the watchdog's kill list. */
const live = new Set<Pinned>();

/** SIGKILLs every child this harness started that is still running (by pid, never by name). */
export function killAllStarted(): number {
  let n = 0;
  for (const p of live) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGKILL');
      n++;
    }
  }
  return n;
}

/**
 * Runs `body` with a time limit: past it, rejects with CV_ERR_BENCH_TIMEOUT so the caller's
 * finally blocks stop their children (the abandoned body's awaits then fail harmlessly).
 */
export async function withDeadline<T>(what: string, ms: number, body: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new LoadBenchError(BENCH_TIMEOUT, `${what} exceeded ${Math.round(ms / 1000)} s`)),
      ms,
    );
  });
  try {
    return await Promise.race([body(), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Stops a child: `signal`, then SIGKILL after `timeoutMs`. Never throws. */
export async function stopPinned(
  p: Pinned | null,
  signal: NodeJS.Signals = 'SIGTERM',
  timeoutMs = 20_000,
): Promise<number | string> {
  if (p === null) return -1;
  if (p.child.exitCode !== null || p.child.signalCode !== null) return p.exited;
  p.child.kill(signal);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  const code = await p.exited;
  clearTimeout(timer);
  return code;
}

/** User and system CPU seconds of a live process (all its threads, not its children). */
export function cpuSplit(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) / CLOCK_TICKS_PER_S, system: Number(fields[12]) / CLOCK_TICKS_PER_S };
}

/** CPU seconds of the main thread alone (the event loop); the rest is libuv's pool, V8's helpers. */
export function mainThreadCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
  } catch {
    return 0;
  }
}

/** CPU seconds per thread (tid → user+system), for telling the event loop from the pool. */
export function threadCpuSeconds(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(t), (Number(f[11]) + Number(f[12])) / CLOCK_TICKS_PER_S);
    } catch {
      // the thread ended
    }
  }
  return out;
}

export function cpuSeconds(pid: number): number {
  const c = cpuSplit(pid);
  return c.user + c.system;
}

/** Resident set size in bytes (VmRSS), or 0 when the process is gone. */
export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? 0 : Number(m[1]) * 1024;
  } catch {
    return 0;
  }
}

/**
 * Whether process `pid` itself holds a TCP socket listening on 127.0.0.1:`port`: the socket's
 * inode in /proc/PID/net/tcp is one of the process's open files. Unlike connecting to the port,
 * this cannot be answered by another process that took the port first.
 */
export function holdsTcpListener(pid: number, port: number): boolean {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  try {
    // Fields: sl local_address rem_address st … inode (10th); st 0A is LISTEN.
    const inodes = new Set(
      readFileSync(`/proc/${pid}/net/tcp`, 'latin1')
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .filter((f) => f[1] === local && f[3] === '0A')
        .map((f) => `socket:[${f[9]}]`),
    );
    if (inodes.size === 0) return false;
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return inodes.has(readlinkSync(`/proc/${pid}/fd/${fd}`));
      } catch {
        return false; // closed meanwhile
      }
    });
  } catch {
    return false; // the process is gone
  }
}

/** Waits (bounded) until process `pid` listens on TCP 127.0.0.1:`port` (holdsTcpListener). */
export async function waitForListener(
  pid: number,
  port: number,
  timeoutMs: number,
  alive: () => boolean,
): Promise<void> {
  const endBy = Date.now() + timeoutMs;
  while (Date.now() < endBy) {
    if (!alive())
      throw new LoadBenchError(BENCH_CHILD_FAILED, 'process exited before it listened', {
        context: { port },
      });
    if (holdsTcpListener(pid, port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new LoadBenchError(BENCH_CHILD_FAILED, 'port not listening in time', {
    context: { port, timeoutMs },
  });
}

/** Waits (bounded) until a child prints a line matching `re` on stdout. */
export async function waitForOutput(p: Pinned, re: RegExp, timeoutMs: number): Promise<void> {
  const endBy = Date.now() + timeoutMs;
  while (!re.test(p.output())) {
    if (p.child.exitCode !== null || p.child.signalCode !== null)
      throw new LoadBenchError(BENCH_CHILD_FAILED, 'child exited early', {
        context: { output: p.output().slice(-2000) },
      });
    if (Date.now() > endBy)
      throw new LoadBenchError(BENCH_CHILD_FAILED, 'child not ready in time', {
        context: { output: p.output().slice(-2000) },
      });
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs a child to completion (bounded); resolves with its output. */
export async function runToEnd(
  p: Pinned,
  timeoutMs: number,
): Promise<{ code: number | string; output: string }> {
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  const code = await p.exited;
  clearTimeout(timer);
  const stdout = p.child.stdout;
  if (stdout !== null && !stdout.readableEnded && !stdout.destroyed)
    await Promise.race([
      once(stdout, 'close').catch(() => undefined),
      new Promise((r) => setTimeout(r, 2000)),
    ]);
  return { code, output: p.output() };
}
