/**
 * Runs retention in the daemon: at start and then every `intervalMs` (default hourly), one run
 * at a time. A failed run is logged and retried at the next tick; it never stops the daemon.
 */
import type { Logger } from '../common/index.js';
import type { Storage } from '../storage/index.js';
import { countOverdue, oldestByPolicy, runRetention, type RetentionReport } from './run.js';

export const DEFAULT_RETENTION_INTERVAL_MS = 3_600_000;

export class RetentionScheduler {
  readonly #storage: Storage;
  readonly #log: Logger;
  readonly #timer: NodeJS.Timeout;
  #running: Promise<void> | null = null;
  #deletions = 0;
  #overdue = 0;
  #lastRun: RetentionReport | null = null;
  /** Runs by result, their total and last duration (s), the end of the last good one (ms). */
  readonly #runs = { ok: 0, failed: 0 };
  #runSeconds = 0;
  #lastRunSeconds = 0;
  #lastSuccessMs: number | null = null;
  #oldest = new Map<string, number>();
  #closed = false;

  constructor(storage: Storage, log: Logger, intervalMs = DEFAULT_RETENTION_INTERVAL_MS) {
    this.#storage = storage;
    this.#log = log;
    this.#timer = setInterval(() => void this.tick(), intervalMs);
    this.#timer.unref();
    void this.tick();
  }

  /** Deletions and anonymisations done since start (for the metric). */
  get deletions(): number {
    return this.#deletions;
  }

  get overdue(): number {
    return this.#overdue;
  }

  /** Start time (ms) of the oldest recording with audio per policy, as of the last run. */
  get oldestByPolicy(): ReadonlyMap<string, number> {
    return this.#oldest;
  }

  get lastRun(): RetentionReport | null {
    return this.#lastRun;
  }

  /** For the metrics: runs by result and how long they took. */
  runStats(): {
    ok: number;
    failed: number;
    seconds: number;
    lastSeconds: number;
    lastSuccessMs: number | null;
  } {
    return {
      ...this.#runs,
      seconds: this.#runSeconds,
      lastSeconds: this.#lastRunSeconds,
      lastSuccessMs: this.#lastSuccessMs,
    };
  }

  tick(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#running ??= (async () => {
      const startedMs = performance.now();
      let ok = false;
      try {
        const report = await runRetention(this.#storage, {
          name: 'retention-scheduler',
          role: 'system',
          from: 'daemon',
        });
        this.#lastRun = report;
        this.#deletions += report.deleted.length + report.anonymised.length;
        this.#overdue = await countOverdue(this.#storage);
        this.#oldest = await oldestByPolicy(this.#storage);
        if (report.deleted.length + report.anonymised.length + report.failed.length > 0) {
          this.#log.info(
            {
              deleted: report.deleted.length,
              anonymised: report.anonymised.length,
              failed: report.failed.length,
              keptOnHold: report.keptOnHold.length,
            },
            'retention applied',
          );
        }
        ok = true;
      } catch (err) {
        this.#log.error({ err }, 'retention run failed; retrying at the next tick');
      } finally {
        const seconds = (performance.now() - startedMs) / 1000;
        this.#runs[ok ? 'ok' : 'failed']++;
        this.#runSeconds += seconds;
        this.#lastRunSeconds = seconds;
        if (ok) this.#lastSuccessMs = Date.now();
        this.#running = null;
      }
    })();
    return this.#running;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#running;
  }
}
