/**
 * Recordings written, failed and recovered since this process opened the storage, counted where
 * each happens (the recorder's finish and salvage, an import, start-up recovery), and audio
 * handed out by role (API listen, export, DSAR archive; the CLI's through the daemon). Plain
 * numbers: metrics/ reads them at scrape time.
 */
export type WrittenSource = 'siprec' | 'tap' | 'import';
/** `disk_full`/`write_failed`: the writer failed mid-call; `finalise_failed`: at the end. */
export type FailedReason = 'disk_full' | 'write_failed' | 'finalise_failed' | 'other';

export const WRITTEN_SOURCES: readonly WrittenSource[] = ['siprec', 'tap', 'import'];
export const FAILED_REASONS: readonly FailedReason[] = [
  'disk_full',
  'write_failed',
  'finalise_failed',
  'other',
];

export class RecordingCounts {
  readonly #written = new Map<WrittenSource, number>(WRITTEN_SOURCES.map((s) => [s, 0]));
  readonly #failed = new Map<FailedReason, number>(FAILED_REASONS.map((r) => [r, 0]));
  #recovered = 0;
  readonly #audioAccesses = new Map<string, number>();

  written(source: WrittenSource): void {
    this.#written.set(source, this.#written.get(source)! + 1);
  }

  failed(reason: FailedReason): void {
    this.#failed.set(reason, this.#failed.get(reason)! + 1);
  }

  /** Finalised after their writer died: at start-up, or after a write failure mid-call. */
  recovered(n = 1): void {
    this.#recovered += n;
  }

  /** Audio left the appliance for a user of this role (counted once per delivery, not per byte). */
  audioAccess(role: string): void {
    this.#audioAccesses.set(role, (this.#audioAccesses.get(role) ?? 0) + 1);
  }

  snapshot(): {
    written: ReadonlyMap<WrittenSource, number>;
    failed: ReadonlyMap<FailedReason, number>;
    recovered: number;
    audioAccesses: ReadonlyMap<string, number>;
  } {
    return {
      written: this.#written,
      failed: this.#failed,
      recovered: this.#recovered,
      audioAccesses: this.#audioAccesses,
    };
  }
}
