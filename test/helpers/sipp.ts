/**
 * Runs SIPp (Debian sip-tester) to completion on ports of its own. SIPp must be told its
 * signalling port (-p) and media port (-mp; it binds that one and the one two above): it gets
 * candidates from spawnOnFreePort and, when it exits because another process took one first
 * ("Unable to bind … Address already in use", exit 254), is run again on fresh ones.
 */
import { spawn } from 'node:child_process';
import { ADDRESS_IN_USE, spawnOnFreePort } from './spawn-on-free-port.js';

export interface SippRun {
  readonly code: number;
  /** The last `keepChars` of its stdout and stderr. */
  readonly output: string;
  /** Wall time of the run that counted (not of runs that could not bind). */
  readonly wallMs: number;
}

export interface SippOptions {
  /** SIGKILL after this long (SIPp's own -timeout should end it first). */
  readonly killAfterMs: number;
  /** How much of the output to keep. Default 4000 characters. */
  readonly keepChars?: number;
}

/** SIPp's message when a port it was given is taken. */
const SIPP_BIND_FAILED = new RegExp(`Unable to bind [^\\n]*(?:${ADDRESS_IN_USE.source})`);

/** Whether SIPp exited because a port it was told was taken. */
export function sippCouldNotBind(r: SippRun): boolean {
  return r.code !== 0 && SIPP_BIND_FAILED.test(r.output);
}

/** One run of `sipp ARGS` as given (ports included), until it exits. */
export function runSippOnce(args: readonly string[], opts: SippOptions): Promise<SippRun> {
  const keep = opts.keepChars ?? 4000;
  const started = Date.now();
  const child = spawn('sipp', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-keep)));
  child.stderr.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-keep)));
  const killer = setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code: code ?? -1, output, wallMs: Date.now() - started });
    }),
  );
}

/** Runs `sipp ARGS -p PORT -mp PORT` until it exits; ARGS must not name -p or -mp. */
export function runSipp(args: readonly string[], opts: SippOptions): Promise<SippRun> {
  return spawnOnFreePort(
    2,
    ([port, mediaPort]) => runSippOnce([...args, '-p', String(port), '-mp', String(mediaPort)], opts),
    sippCouldNotBind,
  );
}
