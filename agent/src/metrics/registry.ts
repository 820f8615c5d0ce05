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
    help: 'Bytes of encrypted recordings on disk',
    registers: [registry],
    async collect() {
      this.set((await storage.recordingsOnDisk()).bytes);
    },
  });
  new Gauge({
    name: 'callvault_recordings',
    help: 'Recordings stored in the vault',
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
