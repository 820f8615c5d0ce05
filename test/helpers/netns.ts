/**
 * Runs code inside a fresh network namespace (`unshare -n`, `lo` up, nothing else), so tests that
 * feed the daemon foreign SIP — RFC 4475/5118 messages naming other hosts and multicast in Via,
 * fuzzed ports — cannot send a single packet off this machine, and can bind any port without
 * racing other tests. `callInNetns` runs one exported async function of a module there (input
 * and result as JSON): the probes (torture-probe.ts, fuzz-probe.ts) are such functions; each
 * starts the real daemon as its own child inside the namespace, drives it, samples its memory
 * and reports what came back.
 */
import { spawn, spawnSync } from 'node:child_process';
import { ROOT } from './daemon.js';

let available: boolean | undefined;

/** Whether `unshare -n` works here (root or user namespaces, and iproute2 present). */
export function netnsAvailable(): boolean {
  available ??=
    spawnSync('unshare', ['-n', '--', 'sh', '-c', 'ip link set lo up'], { stdio: 'ignore', timeout: 5000 })
      .status === 0;
  return available;
}

// Reads the input from stdin, calls the export, prints the result after a marker so stray
// output of the function's own children cannot corrupt it.
const ENTRY = `
const [url, name] = process.argv.slice(1);
const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const mod = await import(url);
const out = await mod[name](JSON.parse(Buffer.concat(chunks).toString() || 'null'));
// Exit only once the (possibly large) result has been flushed to the pipe.
process.stdout.write('\\n@@RESULT@@' + JSON.stringify(out) + '\\n', () => process.exit(0));
`;

export interface NetnsCall<O> {
  /** false when `unshare -n` is unavailable and the function ran in the host's namespace. */
  readonly isolated: boolean;
  readonly result: O;
}

/**
 * Runs `moduleUrl`'s export `name(input)` in a new network namespace (falling back to the host's
 * when unshare is unavailable) and resolves with its JSON result. Bounded by `timeoutMs`.
 */
export function callInNetns<I, O>(
  moduleUrl: string,
  name: string,
  input: I,
  timeoutMs = 120_000,
): Promise<NetnsCall<O>> {
  const isolated = netnsAvailable();
  const node = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', ENTRY, moduleUrl, name];
  const [cmd, ...args] = isolated
    ? ['unshare', '-n', '--', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', ...node]
    : node;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd!, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const at = stdout.lastIndexOf('@@RESULT@@');
      if (code !== 0 || at < 0) {
        reject(new Error(`netns child exited ${code}:\n${stdout.slice(-4000)}\n${stderr.slice(-4000)}`));
        return;
      }
      resolve({ isolated, result: JSON.parse(stdout.slice(at + 10)) as O });
    });
    child.stdin.end(JSON.stringify(input));
  });
}
