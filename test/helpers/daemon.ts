/**
 * Test harness: runs the real daemon (bin/callvault.js, built by `make`) and the real CLI on
 * loopback with chosen ports and a temp storage dir. Later issues reuse it for SIP/SIPp tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { createServer } from 'node:net';
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

/** Asks the kernel for a free loopback port (closed again before the daemon binds it). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  srv.close();
  await once(srv, 'close');
  return port;
}

/** The --set list that puts a daemon on free loopback ports with its own storage dir. */
export async function isolatedSets(storageDir: string, extra: readonly string[] = []): Promise<string[]> {
  const sip = await freePort();
  return [
    `storage.dir=${storageDir}`,
    `sip.udp=127.0.0.1:${sip}`,
    `sip.tcp=127.0.0.1:${sip}`,
    `api.listen=127.0.0.1:${await freePort()}`,
    `metrics.listen=127.0.0.1:${await freePort()}`,
    'log.level=info',
    ...extra,
  ];
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

export interface RunningDaemon {
  readonly child: ChildProcess;
  readonly logs: () => string;
  /** Sends a signal and resolves with the exit code (bounded). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number>;
}

/** Starts the daemon and resolves when it logs "ready" (or rejects with its output). */
export async function startDaemon(
  sets: readonly string[],
  timeoutMs = 20_000,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningDaemon> {
  const child = spawn(process.execPath, [DAEMON_BIN, '--config', DEV_CONFIG, ...setArgs(sets)], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`daemon not ready in ${timeoutMs} ms:\n${out}`)),
      timeoutMs,
    );
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (/"msg":"ready"/.test(out)) {
        clearTimeout(timer);
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
  return {
    child,
    logs: () => out,
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
