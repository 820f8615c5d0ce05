/**
 * The scaffolding the integration tests share: a temp dir, the daemon a test starts (stopped
 * after the test whether it passed or not) and, for suites that give each test its own
 * storage, that storage's dir and --set list. Call these inside a describe(): they register
 * the mocha hooks there and return an object the hooks keep current.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isolatedSets, type DaemonProcess, type RunningDaemon } from './daemon.js';

export interface TestDir<D extends DaemonProcess = RunningDaemon> {
  /** The temp dir (a fresh one for each test). */
  readonly dir: string;
  /** The daemon the test started: afterEach stops it. */
  daemon: D | undefined;
}

/**
 * A fresh temp dir for each test; after the test its daemon (if any) is stopped with
 * `stopSignal` (SIGKILL: nothing after the test depends on a clean shutdown) and the dir removed.
 */
export function dirPerTest<D extends DaemonProcess = RunningDaemon>(
  prefix: string,
  stopSignal: NodeJS.Signals = 'SIGKILL',
): TestDir<D> {
  const t: { dir: string; daemon: D | undefined } = { dir: '', daemon: undefined };
  beforeEach(() => {
    t.dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(async () => {
    await t.daemon?.stop(stopSignal);
    t.daemon = undefined;
    rmSync(t.dir, { recursive: true, force: true });
  });
  return t;
}

export interface TestStorage extends TestDir {
  /** This test's storage.dir, inside `dir`. */
  readonly storageDir: string;
  /** isolatedSets(storageDir, extra): this test's daemon and callvaultctl configuration. */
  readonly sets: string[];
}

/**
 * One temp dir for the suite (`prepare` puts its shared inputs there, e.g. a tone WAV), and a
 * fresh storage dir with its --set list for each test, so tests do not see each other's
 * recordings. `extraSets` is called per test (an RTP range is drawn afresh each time). The
 * test's daemon is SIGKILLed after it; the dir goes after the suite.
 */
export function storagePerTest(
  prefix: string,
  extraSets: () => readonly string[] = () => [],
  prepare: (dir: string) => void = () => undefined,
): TestStorage {
  const t: { dir: string; storageDir: string; sets: string[]; daemon: RunningDaemon | undefined } = {
    dir: '',
    storageDir: '',
    sets: [],
    daemon: undefined,
  };
  before(() => {
    t.dir = mkdtempSync(join(tmpdir(), prefix));
    prepare(t.dir);
  });
  after(() => rmSync(t.dir, { recursive: true, force: true }));
  beforeEach(async () => {
    t.storageDir = mkdtempSync(join(t.dir, 'storage-'));
    t.sets = await isolatedSets(t.storageDir, extraSets());
  });
  afterEach(async () => {
    await t.daemon?.stop('SIGKILL');
    t.daemon = undefined;
  });
  return t;
}

/**
 * The fixed addresses of a daemon alone in a private network namespace (helpers/netns.ts), where
 * nothing else can hold a port: SIP on 5080 (UDP and TCP), metrics on 9464, no plain INVITEs,
 * and no per-source rate limit (its default 200/s would drop nearly every message unparsed).
 */
export function namespacedDaemon(
  storageDir: string,
  rtpPorts: string,
): { sets: string[]; sipPort: number; metricsPort: number; sourcePort: number } {
  return {
    sets: [
      `storage.dir=${storageDir}`,
      'sip.udp=127.0.0.1:5080',
      'sip.tcp=127.0.0.1:5080',
      'api.listen=127.0.0.1:8443',
      'metrics.listen=127.0.0.1:9464',
      `media.rtp_ports=${rtpPorts}`,
      'sip.accept_plain_invite=false',
      'sip.rate_limit_per_second=100000',
      'log.level=info',
    ],
    sipPort: 5080,
    metricsPort: 9464,
    // The fake SBC's own port; the probes listen on it for the daemon's answers.
    sourcePort: 5060,
  };
}
