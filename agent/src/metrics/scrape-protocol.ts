/**
 * Messages between the daemon's loop and the scrape worker (metrics/scrape-worker.ts). The
 * worker owns the /metrics listener; the loop owns the registry and renders it on request.
 */

/** workerData of the scrape worker. */
export interface ScrapeWorkerOptions {
  readonly host: string;
  readonly port: number;
  /** metrics.allow: empty means loopback sources only. */
  readonly allow: readonly string[];
  /** metrics.fresh_wait_ms: how long a scrape waits for a fresh render before the last one is served (0: always wait). */
  readonly freshWaitMs: number;
}

/** Loop → worker. */
export type ToWorker =
  /** The render of every request with id ≤ `id`, made after those requests reached the loop. */
  | {
      readonly type: 'snapshot';
      readonly id: number;
      readonly body: string;
      readonly contentType: string;
      /** Date.now() on the loop when the render began. */
      readonly renderedAt: number;
    }
  | { readonly type: 'failed'; readonly id: number }
  | { readonly type: 'close' };

/** Worker → loop. */
export type FromWorker =
  | { readonly type: 'listening'; readonly address: string; readonly port: number }
  | { readonly type: 'listen_failed'; readonly code: string; readonly message: string }
  | { readonly type: 'render'; readonly id: number }
  | { readonly type: 'refused'; readonly from: string | undefined }
  /** The worker holds its first render: from now on a scrape is answered within the budget. */
  | { readonly type: 'warm' };
