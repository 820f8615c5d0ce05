/** What the vault hands a VaultWriter (vault/create-recording.ts builds it). */
import type { FileHandle } from 'node:fs/promises';
import type { Logger } from '../common/index.js';
import type { BatchSyncer } from './batch-sync.js';
import type { AudioFormat, FsyncPolicy } from './types.js';

/** Everything the vault hands a writer once the file holds its header and first meta record. */
export interface WriterInit {
  readonly id: string;
  readonly path: string;
  readonly fh: FileHandle;
  readonly key: Buffer;
  readonly headerHash: Buffer;
  readonly format: AudioFormat;
  readonly startedAt: Date;
  readonly segmentMs: number;
  readonly fsync: FsyncPolicy;
  readonly syncer: BatchSyncer;
  /** Byte offset and seq after the records already in the file. */
  readonly offset: number;
  readonly nextSeq: number;
  /** Imported WAVs keep their own header bytes; live recordings get the canonical one. */
  readonly envelope?: { prefix: Buffer; suffix: Buffer };
  readonly sign: (data: Buffer) => Buffer;
  /** Called once the final record is on disk, to write the seal (never throws). */
  readonly onSealed?: (facts: { digest: string; fileBytes: number; dataBytes: number }) => Promise<void>;
  readonly destroy: () => Promise<void>;
  readonly onClosed: () => void;
  readonly log: Logger;
}
