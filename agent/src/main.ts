/**
 * The daemon: config → storage (vault + index, recovery) → control socket → ready.
 * SIGTERM/SIGINT: stop taking work, finalise recordings in progress, close in reverse order,
 * exit 0 — or exit 3 if that takes longer than SHUTDOWN_BOUND_MS. SIGHUP: reload the config
 * and apply what can change without a restart (log.level, sip.trusted, the API certificate);
 * every other change is named in the log as waiting for a restart, and an invalid file keeps the
 * running config.
 */
import { join } from 'node:path';
import {
  createLogger,
  createSystemdNotifier,
  exitCodeFor,
  logDestination,
  productVersion,
  type Logger,
  type CallvaultError,
} from './common/index.js';
import { assertOwnership, loadConfig, policyInForce, sidesWarning, type Config } from './config/index.js';
import { openStorage, type Storage } from './storage/index.js';
import { writeBacklogBytes } from './vault/index.js';
import { CONTROL_SOCKET, createControlServer, storageHandlers, type ControlServer } from './control/index.js';
import { parseGlobal } from './cli/index.js';
import { readFileSync } from 'node:fs';
import { reload } from './daemon-reload.js';
import {
  createMetrics,
  registerCallMetrics,
  registerRetentionMetrics,
  registerMediaMetrics,
  registerTlsMetrics,
  startMetricsServer,
  type MetricsServer,
  cachedSource,
} from './metrics/index.js';
import { createSipStack, type SipStack } from './sip/index.js';
import { createMediaReceiver, createMediaRuntime, type MediaReceiver } from './media/index.js';
import { CallManager } from './calls/index.js';
import { RetentionScheduler } from './retention/index.js';
import { formatListen } from './config/index.js';
import { startApiServer, type ApiServer } from './api/index.js';

// The SIGHUP reload lives in daemon-reload.ts; its names stay importable from here.
export { RELOADABLE_KEYS, changedKeys } from './daemon-reload.js';

/** How long finalising and closing may take before the daemon gives up and exits non-zero. */
export const SHUTDOWN_BOUND_MS = 15_000;

export interface Daemon {
  readonly config: Config;
  readonly storage: Storage;
  readonly control: ControlServer;
  readonly api: ApiServer | null;
  readonly metrics: MetricsServer | null;
  readonly sip: SipStack | null;
  readonly calls: CallManager | null;
  stop(reason: string): Promise<void>;
}

export async function startDaemon(config: Config, log: Logger): Promise<Daemon> {
  log.info({ file: config.file, storage: config.storage.dir, policy: config.policy.name }, 'starting');
  log.info(policyInForce(config), 'policy in force');
  const sides = sidesWarning(config);
  if (sides !== null) log.warn(sides, 'call direction must come from the SBC: no agent rules configured');
  assertOwnership(config);
  if (config.tap.interface !== null)
    // Said, not refused: SIPREC recording must not stop over a setting for a path not built yet.
    // The unit grants no CAP_NET_RAW for the same reason (decisions.md).
    log.warn(
      { interface: config.tap.interface },
      'tap.interface is set but passive capture is not available in this version; nothing is captured from it',
    );
  const storage = await openStorage({ config, log });
  const s = storage.startup;
  log.info(
    {
      recovered: s.recovered.length,
      reindexed: s.reindexed.length,
      orphansRemoved: s.orphansRemoved.length,
      tampered: s.tampered.length,
    },
    'storage open',
  );
  const opened: { close(): Promise<void> }[] = [storage];
  let control: ControlServer;
  let metricsServer: MetricsServer | null = null;
  let api: ApiServer | null = null;
  let sip: SipStack | null = null;
  let receiver: MediaReceiver | null = null;
  let calls: CallManager | null = null;
  let retention: RetentionScheduler | null = null;
  try {
    control = await createControlServer(
      join(config.storage.dir, CONTROL_SOCKET),
      storageHandlers(storage),
      log.child({ component: 'control' }),
    );
    opened.push(control);
    const metrics = createMetrics({
      dir: config.storage.dir,
      // Walking every container per scrape would cost O(recordings) each time: refreshed at most
      // once a minute, in the background.
      recordingsOnDisk: cachedSource(async () => {
        const st = await storage.vault.stats();
        return { count: st.recordings, bytes: st.bytesOnDisk };
      }, 60_000),
      activeRecordings: () => storage.activeWriters,
      writeBacklogBytes,
      integrityFailures: () => storage.integrityFailures(),
      recordingCounts: () => storage.counts.snapshot(),
    });
    const r = new RetentionScheduler(storage, log.child({ component: 'retention' }));
    retention = r;
    opened.push(r);
    registerRetentionMetrics(metrics.registry, {
      deletions: () => r.deletions,
      overdue: () => r.overdue,
      runStats: () => r.runStats(),
      oldestByPolicy: () => r.oldestByPolicy,
    });
    if (config.metrics.listen !== null) {
      metricsServer = await startMetricsServer(
        { ...config.metrics.listen, allow: config.metrics.allow, freshWaitMs: config.metrics.fresh_wait_ms },
        metrics.registry,
        log.child({ component: 'metrics' }),
      );
      opened.push(metricsServer);
    }
    let sipCert: Buffer | null = null;
    const sipOn = config.sip.udp !== null || config.sip.tcp !== null || config.sip.tls !== null;
    if (sipOn) {
      const listenOrOff = (a: typeof config.sip.udp): string => (a === null ? 'off' : formatListen(a));
      sip = await createSipStack({
        udp: listenOrOff(config.sip.udp),
        tcp: listenOrOff(config.sip.tcp),
        ...(config.sip.tls !== null && config.sip.tls_cert !== null && config.sip.tls_key !== null
          ? {
              tls: {
                listen: formatListen(config.sip.tls),
                cert: (sipCert = readFileSync(config.sip.tls_cert)),
                key: readFileSync(config.sip.tls_key),
              },
            }
          : {}),
        trusted: config.sip.trusted,
        maxMessageBytes: config.sip.max_message_bytes,
        rateLimitPerSecond: config.sip.rate_limit_per_second,
        tcpIdleTimeoutMs: config.sip.tcp_idle_timeout_ms,
        maxTcpConnections: config.sip.max_tcp_connections,
        supported: ['siprec', 'timer', 'replaces'],
        acceptedContentTypes: [
          'application/sdp',
          'multipart/mixed',
          'application/rs-metadata+xml',
          'application/rs-metadata',
        ],
        log: log.child({ component: 'sip' }),
      });
      opened.push(sip);
      // RTP is received on the address SIP listens on (all addresses when SIP listens on all).
      const sipHost = (config.sip.udp ?? config.sip.tcp ?? config.sip.tls)!.host;
      receiver = await createMediaReceiver({
        runtime: createMediaRuntime(),
        portRange: config.media.rtp_ports,
        bindAddress: sipHost,
        jitterBufferMs: config.media.jitter_buffer_ms,
        reader: config.media.reader,
        fastPath: config.media.fast_path,
        log: log.child({ component: 'media' }),
      });
      log.info({ reader: receiver.reader, fastPath: receiver.fastPath }, 'media socket layer');
      opened.push(receiver);
      calls = new CallManager({
        stack: sip,
        receiver,
        storage,
        config,
        log: log.child({ component: 'calls' }),
      });
      opened.push(calls);
      const c = calls;
      const st = sip;
      registerCallMetrics(metrics.registry, {
        activeCalls: () => c.activeCalls,
        calls: () => c.stats.snapshot(),
        sip: () => st.stats(),
        diskLow: () => c.diskLow,
      });
      registerMediaMetrics(metrics.registry, c.media);
    }
    if (config.api.listen !== null) {
      const callsNow = calls;
      api = await startApiServer({
        listen: config.api.listen,
        storage,
        metrics,
        log: log.child({ component: 'api' }),
        startedAt: new Date(),
        live: callsNow === null ? null : { list: () => callsNow.liveCalls() },
      });
      opened.push(api);
    }
    const apiNow = api;
    registerTlsMetrics(metrics.registry, () => [
      ...(apiNow !== null ? [{ listener: 'api', cert: apiNow.tls.cert }] : []),
      ...(sipCert !== null ? [{ listener: 'sip', cert: sipCert }] : []),
    ]);
  } catch (err) {
    for (const c of opened.reverse()) await c.close().catch(() => undefined);
    throw err;
  }
  let stopping: Promise<void> | null = null;
  return {
    config,
    storage,
    control,
    api,
    metrics: metricsServer,
    sip,
    calls,
    stop(reason: string): Promise<void> {
      stopping ??= (async () => {
        log.info({ reason, activeRecordings: storage.activeWriters }, 'stopping');
        // Reverse of start: BYE and finalise every call, stop taking requests, close storage last.
        await calls?.close();
        await sip?.close();
        await receiver?.close();
        await api?.close();
        await retention?.close();
        await metricsServer?.close();
        await control.close();
        await storage.close();
        log.info({}, 'stopped');
      })();
      return stopping;
    },
  };
}

/** `callvault --config FILE [--set k=v …]`; returns the process exit code. */
export async function runDaemonCli(argv: readonly string[]): Promise<number> {
  // Before anything is created: LevelDB, the keystore and the TLS pair create their files with
  // 0666/0777 & ~umask, so the umask, not each call site, decides who can read them (issue 15).
  process.umask(0o077);
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    process.stdout.write(`callvault ${productVersion()}\n`);
    return 0;
  }
  let config: Config;
  try {
    const g = parseGlobal(argv);
    if (g.rest.length > 0) {
      process.stderr.write(
        `callvault: unexpected argument ${g.rest[0]}\nusage: callvault --config FILE [--set key.path=value ...]\n`,
      );
      return 1;
    }
    config = loadConfig({ file: g.config, sets: g.sets });
  } catch (err) {
    process.stderr.write(`callvault: ${(err as Error).message}\n`);
    return exitCodeFor(err);
  }
  // Under systemd each line carries its priority for journald (common/journald.ts).
  const log = createLogger(config.log.level, logDestination());
  // A SIGHUP with no handler kills the process: one sent while the daemon starts (or in the
  // instant after 'ready' is written) must wait for the start, not end the recorder.
  let reloadPending = false;
  const hupWhileStarting = (): void => {
    reloadPending = true;
  };
  process.on('SIGHUP', hupWhileStarting);
  let daemon: Daemon;
  try {
    daemon = await startDaemon(config, log);
  } catch (err) {
    const e = err as CallvaultError;
    log.fatal({ err, code: e.code }, 'cannot start');
    process.stderr.write(`callvault: ${e.message}${e.code ? ` [${e.code}]` : ''}\n`);
    return exitCodeFor(err);
  }
  return new Promise<number>((resolve) => {
    // Created before the signal handlers that use it; it says READY only when told below.
    const notifier = createSystemdNotifier(log);
    const shutdown = (signal: string): void => {
      notifier.stopping();
      const timer = setTimeout(() => {
        log.error({ boundMs: SHUTDOWN_BOUND_MS }, 'shutdown took too long');
        resolve(3);
      }, SHUTDOWN_BOUND_MS);
      timer.unref();
      daemon.stop(signal).then(
        () => {
          clearTimeout(timer);
          notifier.close();
          resolve(0);
        },
        (err: unknown) => {
          clearTimeout(timer);
          notifier.close();
          log.error({ err }, 'shutdown failed');
          resolve(3);
        },
      );
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGHUP', () => reload(config, argv, daemon, log));
    process.off('SIGHUP', hupWhileStarting);
    daemon.calls?.ready();
    // One line a technician (or journalctl -g ready) reads to know what this box listens on.
    log.info(
      {
        version: productVersion(),
        policy: config.policy.name,
        sip: (daemon.sip?.addresses ?? []).map((a) => `${a.transport}:${formatListen(a)}`),
        rtp: daemon.sip === null ? 'off' : `${config.media.rtp_ports.low}-${config.media.rtp_ports.high}`,
        api: daemon.api?.url ?? 'off',
        metrics: daemon.metrics?.url ?? 'off',
        control: daemon.control.path,
        pid: process.pid,
      },
      'ready',
    );
    // After 'ready': SIP, vault and index are up. The watchdog pings from here on come from the
    // event loop, so a stalled loop gets the daemon restarted by systemd.
    notifier.ready(`recording; api ${daemon.api?.url ?? 'off'}`);
    if (reloadPending) reload(config, argv, daemon, log);
  });
}
