/**
 * The Prometheus registry (ARCHITECTURE ✦ Metrics). metrics/ owns it; stages keep plain
 * counters in stats objects and these collectors read them at scrape time, so nothing on a
 * hot path touches prom-client. Label values are bounded sets — never a call id, a number
 * or a user name.
 */
import { statfs } from 'node:fs/promises';
import { Registry, Gauge, Counter, collectDefaultMetrics } from 'prom-client';
import type { FailedReason, WrittenSource } from '../storage/index.js';
import { follow } from './follow.js';
import { registerBuildInfo } from './build-info.js';

/** A gauge set at scrape time from one reading (sync or async). */
function gauge(registry: Registry, name: string, help: string, read: () => number | Promise<number>): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    async collect() {
      this.set(await read());
    },
  });
}

/**
 * A counter that follows running totals at scrape time: one series per label value `read`
 * yields, or the one unlabelled series when `label` is null.
 */
function followingCounter(
  registry: Registry,
  name: string,
  help: string,
  label: string | null,
  read: () => Iterable<readonly [string, number]>,
): void {
  const seen = new Map<string, number>();
  new Counter({
    name,
    help,
    labelNames: label === null ? [] : [label],
    registers: [registry],
    collect() {
      const self = this as unknown as Counter<string>;
      for (const [value, n] of read()) follow(self, seen, label === null ? {} : { [label]: value }, n);
    },
  });
}

/** The one unlabelled series of a followingCounter. */
const unlabelled = (read: () => number) => (): Iterable<readonly [string, number]> => [['', read()]];

export interface StorageFacts {
  readonly dir: string;
  recordingsOnDisk(): Promise<{ count: number; bytes: number }>;
  activeRecordings(): number;
  /** Sealed recording data handed to the disk and not yet written (bytes, all recordings). */
  writeBacklogBytes(): number;
  /** Integrity failures of finished recordings found since start, by check (startup, verify, …). */
  integrityFailures?(): ReadonlyMap<string, number>;
  /** Recordings written/failed/recovered since start, counted where each happens. */
  recordingCounts?(): {
    written: ReadonlyMap<WrittenSource, number>;
    failed: ReadonlyMap<FailedReason, number>;
    recovered: number;
    /** Audio deliveries by role (API listens, exports, DSAR archives). */
    audioAccesses: ReadonlyMap<string, number>;
  };
}

/** Call and SIP counters, read at scrape time from the stages' plain stats objects. */
export interface CallFacts {
  activeCalls(): number;
  calls(): {
    started: number;
    discarded: number;
    failed: number;
    rejected: Record<string, number>;
    ended: Record<string, number>;
  };
  sip(): {
    received: number;
    sent: number;
    retransmissions: number;
    rejected: Readonly<Record<string, number>>;
  };
  diskLow(): boolean;
}

/** Registers the call/SIP collectors once the call path exists (the daemon may run without SIP). */
export function registerCallMetrics(registry: Registry, facts: CallFacts): void {
  gauge(registry, 'callvault_calls_active', 'Calls being recorded now', () => facts.activeCalls());
  const callsSeen = new Map<string, number>();
  new Counter({
    name: 'callvault_calls_total',
    help: 'Calls by outcome: recorded (by end reason), rejected (by reason), discarded (no consent), failed',
    labelNames: ['outcome', 'reason'] as const,
    registers: [registry],
    collect() {
      const c = facts.calls();
      for (const [reason, n] of Object.entries(c.ended))
        follow(this, callsSeen, { outcome: 'recorded', reason }, n);
      for (const [reason, n] of Object.entries(c.rejected))
        follow(this, callsSeen, { outcome: 'rejected', reason }, n);
      follow(this, callsSeen, { outcome: 'discarded', reason: 'no_consent' }, c.discarded);
      follow(this, callsSeen, { outcome: 'failed', reason: 'write' }, c.failed);
    },
  });
  followingCounter(
    registry,
    'callvault_sip_messages_total',
    'SIP messages by direction (received, sent, retransmitted)',
    'direction',
    () => {
      const s = facts.sip();
      return [
        ['received', s.received],
        ['sent', s.sent],
        ['retransmitted', s.retransmissions],
      ];
    },
  );
  followingCounter(
    registry,
    'callvault_sip_rejected_total',
    'SIP messages rejected or dropped, by reason',
    'reason',
    () => Object.entries(facts.sip().rejected),
  );
  gauge(
    registry,
    'callvault_storage_low',
    '1 while free disk is below storage.min_free_bytes (new calls get 503)',
    () => (facts.diskLow() ? 1 : 0),
  );
}

export interface CallvaultMetrics {
  readonly registry: Registry;
  readonly apiRequests: Counter<'route' | 'method' | 'status'>;
}

export function createMetrics(storage: StorageFacts): CallvaultMetrics {
  const registry = new Registry();
  // The standard names (process_cpu_seconds_total, process_resident_memory_bytes, nodejs_*),
  // unprefixed, so stock dashboards and rules for a process work as they are.
  collectDefaultMetrics({ register: registry });
  // prom-client exposes these three as gauges named `_total`, which Prometheus naming (and
  // `promtool check metrics`) rejects; the per-type gauges without the suffix remain.
  for (const name of [
    'nodejs_active_handles_total',
    'nodejs_active_requests_total',
    'nodejs_active_resources_total',
  ]) {
    registry.removeSingleMetric(name);
  }
  registerBuildInfo(registry);

  gauge(
    registry,
    'callvault_storage_free_bytes',
    'Free bytes on the file system holding storage.dir',
    async () => {
      const s = await statfs(storage.dir);
      return Number(s.bavail) * Number(s.bsize);
    },
  );
  gauge(
    registry,
    'callvault_recordings_bytes',
    'Bytes of encrypted recordings on disk (walked at most once a minute)',
    async () => (await storage.recordingsOnDisk()).bytes,
  );
  gauge(
    registry,
    'callvault_recordings',
    'Recordings stored in the vault (counted at most once a minute)',
    async () => (await storage.recordingsOnDisk()).count,
  );
  gauge(registry, 'callvault_active_recordings', 'Recordings being written now', () =>
    storage.activeRecordings(),
  );
  gauge(
    registry,
    'callvault_vault_write_backlog_bytes',
    'Encrypted audio waiting for the disk; it stays in memory, so growth means the disk is slower than the calls',
    () => storage.writeBacklogBytes(),
  );
  // Every check shows from the start (at 0), so an alert rule sees the series exist.
  followingCounter(
    registry,
    'callvault_recordings_integrity_failures_total',
    'Finished recordings found not matching their signed digest (truncated, cut, appended, swapped), by the check that found them',
    'check',
    () => storage.integrityFailures?.() ?? [],
  );
  registerRecordingCounts(registry, storage);
  return {
    registry,
    apiRequests: new Counter({
      name: 'callvault_api_requests_total',
      help: 'Admin API requests by route, method and status',
      labelNames: ['route', 'method', 'status'] as const,
      registers: [registry],
    }),
  };
}

function registerRecordingCounts(registry: Registry, storage: StorageFacts): void {
  const counts = storage.recordingCounts;
  if (counts === undefined) return;
  followingCounter(
    registry,
    'callvault_recordings_written_total',
    'Recordings finalised and indexed, by source (siprec, tap, import)',
    'source',
    () => counts().written,
  );
  followingCounter(
    registry,
    'callvault_recordings_failed_total',
    'Recordings whose writing failed (disk_full, write_failed mid-call; finalise_failed at the end)',
    'reason',
    () => counts().failed,
  );
  followingCounter(
    registry,
    'callvault_recordings_recovered_total',
    'Recordings finalised after their writer died (at start-up, or after a write failure mid-call)',
    null,
    unlabelled(() => counts().recovered),
  );
  followingCounter(
    registry,
    'callvault_audio_accesses_total',
    'Audio accesses (listen, export, DSAR archive) by role',
    'role',
    () => counts().audioAccesses,
  );
}

/** What the retention scheduler counts (RetentionScheduler). */
export interface RetentionFacts {
  deletions(): number;
  overdue(): number;
  /** Start time (ms) of the oldest recording with audio, per policy. */
  oldestByPolicy?(): ReadonlyMap<string, number>;
  runStats?(): {
    ok: number;
    failed: number;
    seconds: number;
    lastSeconds: number;
    lastSuccessMs: number | null;
  };
}

/**
 * Retention: deletions since start, recordings past expiry not yet removed (alert on > 0), and
 * the runs themselves — a scheduler that stopped running is as bad as one that fails.
 */
export function registerRetentionMetrics(registry: Registry, facts: RetentionFacts): void {
  followingCounter(
    registry,
    'callvault_retention_deletions_total',
    'Recordings deleted or anonymised by retention',
    null,
    unlabelled(() => facts.deletions()),
  );
  gauge(
    registry,
    'callvault_recordings_overdue',
    'Recordings past their expiry that are not on hold and not yet deleted',
    () => facts.overdue(),
  );
  const oldest = facts.oldestByPolicy;
  if (oldest !== undefined)
    new Gauge({
      name: 'callvault_recordings_oldest_age_seconds',
      help: 'Age of the oldest recording with audio under each policy (from the last retention run)',
      labelNames: ['policy'] as const,
      registers: [registry],
      collect() {
        this.reset();
        const now = Date.now();
        for (const [policy, startedMs] of oldest())
          this.set({ policy }, Math.max(0, (now - startedMs) / 1000));
      },
    });
  const runStats = facts.runStats;
  if (runStats === undefined) return;
  followingCounter(
    registry,
    'callvault_retention_runs_total',
    'Retention runs by result (ok, failed)',
    'result',
    () => {
      const r = runStats();
      return [
        ['ok', r.ok],
        ['failed', r.failed],
      ];
    },
  );
  followingCounter(
    registry,
    'callvault_retention_run_seconds_total',
    'Time spent in retention runs (divide by callvault_retention_runs_total for the mean)',
    null,
    unlabelled(() => runStats().seconds),
  );
  gauge(
    registry,
    'callvault_retention_last_run_duration_seconds',
    'How long the last retention run took',
    () => runStats().lastSeconds,
  );
  gauge(
    registry,
    'callvault_retention_last_success_timestamp_seconds',
    'When the last retention run that did not fail ended (Unix time; 0 before the first)',
    () => (runStats().lastSuccessMs ?? 0) / 1000,
  );
}
