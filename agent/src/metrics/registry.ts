/**
 * The Prometheus registry (ARCHITECTURE ✦ Metrics). metrics/ owns it; stages keep plain
 * counters in stats objects and these collectors read them at scrape time, so nothing on a
 * hot path touches prom-client. Label values are bounded sets — never a call id, a number
 * or a user name.
 */
import { statfs } from 'node:fs/promises';
import { Registry, Gauge, Counter, collectDefaultMetrics } from 'prom-client';

export interface StorageFacts {
  readonly dir: string;
  recordingsOnDisk(): Promise<{ count: number; bytes: number }>;
  activeRecordings(): number;
  /** Sealed recording data handed to the disk and not yet written (bytes, all recordings). */
  writeBacklogBytes(): number;
  /** Integrity failures of finished recordings found since start, by check (startup, verify, …). */
  integrityFailures?(): ReadonlyMap<string, number>;
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

/**
 * The call path keeps running totals in plain objects; a Counter here follows them by adding
 * the difference at scrape time, so the exposition has real counters (`_total`, monotonic).
 */
function follow(
  counter: Counter<string>,
  seen: Map<string, number>,
  labels: Record<string, string>,
  total: number,
): void {
  const key = JSON.stringify(labels);
  const prev = seen.get(key) ?? 0;
  if (total > prev) {
    counter.inc(labels, total - prev);
    seen.set(key, total);
  }
}

/** Registers the call/SIP collectors once the call path exists (the daemon may run without SIP). */
export function registerCallMetrics(registry: Registry, facts: CallFacts): void {
  new Gauge({
    name: 'callvault_calls_active',
    help: 'Calls being recorded now',
    registers: [registry],
    collect() {
      this.set(facts.activeCalls());
    },
  });
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
  const sipSeen = new Map<string, number>();
  new Counter({
    name: 'callvault_sip_messages_total',
    help: 'SIP messages by direction (received, sent, retransmitted)',
    labelNames: ['direction'] as const,
    registers: [registry],
    collect() {
      const s = facts.sip();
      follow(this, sipSeen, { direction: 'received' }, s.received);
      follow(this, sipSeen, { direction: 'sent' }, s.sent);
      follow(this, sipSeen, { direction: 'retransmitted' }, s.retransmissions);
    },
  });
  const rejectedSeen = new Map<string, number>();
  new Counter({
    name: 'callvault_sip_rejected_total',
    help: 'SIP messages rejected or dropped, by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
    collect() {
      for (const [reason, n] of Object.entries(facts.sip().rejected))
        follow(this, rejectedSeen, { reason }, n);
    },
  });
  new Gauge({
    name: 'callvault_storage_low',
    help: '1 while free disk is below storage.min_free_bytes (new calls get 503)',
    registers: [registry],
    collect() {
      this.set(facts.diskLow() ? 1 : 0);
    },
  });
}

export interface CallvaultMetrics {
  readonly registry: Registry;
  readonly apiRequests: Counter<'route' | 'method' | 'status'>;
  readonly audioAccesses: Counter<'role'>;
  readonly recordingsWritten: Counter<'source'>;
  readonly recordingsFailed: Counter<'reason'>;
  readonly recordingsRecovered: Counter;
}

export function createMetrics(storage: StorageFacts): CallvaultMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'callvault_process_' });
  // prom-client exposes these three as gauges named `_total`, which Prometheus naming (and
  // `promtool check metrics`) rejects; the per-type gauges without the suffix remain.
  for (const name of [
    'nodejs_active_handles_total',
    'nodejs_active_requests_total',
    'nodejs_active_resources_total',
  ]) {
    registry.removeSingleMetric(`callvault_process_${name}`);
  }

  new Gauge({
    name: 'callvault_storage_free_bytes',
    help: 'Free bytes on the file system holding storage.dir',
    registers: [registry],
    async collect() {
      const s = await statfs(storage.dir);
      this.set(Number(s.bavail) * Number(s.bsize));
    },
  });
  new Gauge({
    name: 'callvault_recordings_bytes',
    help: 'Bytes of encrypted recordings on disk (walked at most once a minute)',
    registers: [registry],
    async collect() {
      this.set((await storage.recordingsOnDisk()).bytes);
    },
  });
  new Gauge({
    name: 'callvault_recordings',
    help: 'Recordings stored in the vault (counted at most once a minute)',
    registers: [registry],
    async collect() {
      this.set((await storage.recordingsOnDisk()).count);
    },
  });
  new Gauge({
    name: 'callvault_active_recordings',
    help: 'Recordings being written now',
    registers: [registry],
    collect() {
      this.set(storage.activeRecordings());
    },
  });
  new Gauge({
    name: 'callvault_vault_write_backlog_bytes',
    help: 'Encrypted audio waiting for the disk; it stays in memory, so growth means the disk is slower than the calls',
    registers: [registry],
    collect() {
      this.set(storage.writeBacklogBytes());
    },
  });
  const integritySeen = new Map<string, number>();
  new Counter({
    name: 'callvault_recordings_integrity_failures_total',
    help: 'Finished recordings found not matching their signed digest (truncated, cut, appended, swapped), by the check that found them',
    labelNames: ['check'] as const,
    registers: [registry],
    collect() {
      const self = this as unknown as Counter<string>;
      for (const [check, n] of storage.integrityFailures?.() ?? []) {
        // Every check shows from the start (at 0), so an alert rule sees the series exist.
        if (!integritySeen.has(JSON.stringify({ check }))) self.inc({ check }, 0);
        follow(self, integritySeen, { check }, n);
      }
    },
  });
  return {
    registry,
    apiRequests: new Counter({
      name: 'callvault_api_requests_total',
      help: 'Admin API requests by route, method and status',
      labelNames: ['route', 'method', 'status'] as const,
      registers: [registry],
    }),
    audioAccesses: new Counter({
      name: 'callvault_audio_accesses_total',
      help: 'Audio accesses (listen, export) by role',
      labelNames: ['role'] as const,
      registers: [registry],
    }),
    recordingsWritten: new Counter({
      name: 'callvault_recordings_written_total',
      help: 'Recordings finalised, by source',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
    recordingsFailed: new Counter({
      name: 'callvault_recordings_failed_total',
      help: 'Recordings that could not be written, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    recordingsRecovered: new Counter({
      name: 'callvault_recordings_recovered_total',
      help: 'Recordings recovered after their writer died',
      registers: [registry],
    }),
  };
}

/** Retention: deletions since start and recordings past expiry not yet removed (alert on > 0). */
export function registerRetentionMetrics(
  registry: Registry,
  facts: { deletions(): number; overdue(): number },
): void {
  const seen = new Map<string, number>();
  new Counter({
    name: 'callvault_retention_deletions_total',
    help: 'Recordings deleted or anonymised by retention',
    registers: [registry],
    collect() {
      follow(this as unknown as Counter<string>, seen, {}, facts.deletions());
    },
  });
  new Gauge({
    name: 'callvault_recordings_overdue',
    help: 'Recordings past their expiry that are not on hold and not yet deleted',
    registers: [registry],
    collect() {
      this.set(facts.overdue());
    },
  });
}
