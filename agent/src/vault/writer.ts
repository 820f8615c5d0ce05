/**
 * VaultWriter: one recording being written. Audio is encrypted in memory and appended as
 * records of ≤ segmentMs; plaintext never reaches the disk. Every file operation runs on one
 * promise queue, so records land in seq order and fsyncs never race a write or the close.
 * Durability: a segment is written when full, or by a wall-clock timer at most segmentMs
 * after its first byte arrived, so a crash loses ≤ segmentMs; fsync follows the policy.
 * 'flushed' means "handed to the kernel": it survives kill -9; power loss only after fsync.
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { TypedEmitter, type CallvaultError, type Logger } from '../common/index.js';
import type { BatchSyncer, Syncable } from './batch-sync.js';
import {
  RECORD_HEADER_BYTES,
  RecordType,
  TAG_BYTES,
  digestSigningInput,
  encodeFinal,
  openRecord,
  sealRecord,
  type RecordTypeValue,
} from './container.js';
import { VaultClosedError, writeFailure } from './errors.js';
import type { AudioFormat, FinishedRecording, FsyncPolicy, RecordingMetadata } from './types.js';
import { bytesPerMs, canonicalWavEnvelope, durationMsOf, frameBytes } from './wav.js';

export type VaultWriterEvents = {
  flushed: [{ seq: number; bytes: number }];
  error: [CallvaultError];
};

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
  readonly destroy: () => Promise<void>;
  readonly onClosed: () => void;
  readonly log: Logger;
}

type State = 'open' | 'finalizing' | 'closed';

export async function writeFully(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await fh.write(buf, done, buf.length - done, position + done);
    done += bytesWritten;
  }
}

export class VaultWriter extends TypedEmitter<VaultWriterEvents> implements Syncable {
  readonly id: string;
  readonly path: string;
  readonly format: AudioFormat;
  readonly startedAt: Date;
  readonly #init: WriterInit;
  readonly #segmentBytes: number;
  readonly #frameBytes: number;
  readonly #audio: { offset: number; length: number; seq: number }[] = [];
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #timer: NodeJS.Timeout | undefined;
  #queue: Promise<void> = Promise.resolve();
  #state: State = 'open';
  #failure: CallvaultError | undefined;
  #seq: number;
  #offset: number;
  /** End of the last record known to be completely written: a failed write is cut back to it. */
  #goodOffset: number;
  #dataBytes = 0;
  #fhClosed = false;

  constructor(init: WriterInit) {
    super();
    this.#init = init;
    this.id = init.id;
    this.path = init.path;
    this.format = init.format;
    this.startedAt = init.startedAt;
    this.#frameBytes = frameBytes(init.format);
    this.#segmentBytes =
      Math.max(1, Math.floor((init.segmentMs * bytesPerMs(init.format)) / this.#frameBytes)) *
      this.#frameBytes;
    this.#seq = init.nextSeq;
    this.#offset = init.offset;
    this.#goodOffset = init.offset;
  }

  /** Audio bytes accepted so far (written or buffered). */
  get dataBytes(): number {
    return this.#dataBytes + this.#pendingBytes;
  }

  /** Buffers a copy of `pcm`; full segments are encrypted and queued for writing at once. */
  append(pcm: Buffer): void {
    this.#assertOpen();
    if (pcm.length === 0) return;
    this.#pending.push(Buffer.from(pcm));
    this.#pendingBytes += pcm.length;
    if (this.#pendingBytes >= this.#segmentBytes) this.#flushPending(false);
    if (this.#pendingBytes > 0 && this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        if (this.#state === 'open' && this.#failure === undefined) this.#flushPending(true);
      }, this.#init.segmentMs);
      this.#timer.unref();
    } else if (this.#pendingBytes === 0) {
      this.#clearTimer();
    }
  }

  /** Supersedes the metadata of record 0 (the index is rebuilt from the last meta record). */
  updateMetadata(meta: RecordingMetadata): void {
    this.#assertOpen();
    this.#writeRecord(RecordType.meta, Buffer.from(JSON.stringify(meta)));
  }

  async finalize(): Promise<FinishedRecording> {
    this.#assertOpen();
    this.#state = 'finalizing';
    this.#clearTimer();
    this.#flushPending(true);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#init.syncer.remove(this);
    let result: FinishedRecording | undefined;
    this.#enqueue(async () => {
      result = await this.#writeFinal();
    });
    await this.#queue;
    await this.#closeFile();
    this.#state = 'closed';
    this.#init.onClosed();
    if (this.#failure !== undefined || result === undefined)
      throw this.#failure ?? new VaultClosedError('writer closed', { context: { recordingId: this.id } });
    return result;
  }

  /** Discards the recording: key destroyed first (crypto-shred), then the file unlinked. */
  async abort(): Promise<void> {
    if (this.#state !== 'open')
      throw new VaultClosedError('recording already finalized or aborted', {
        context: { recordingId: this.id },
      });
    this.#state = 'closed';
    this.#clearTimer();
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#init.syncer.remove(this);
    await this.#queue;
    await this.#closeFile();
    try {
      await this.#init.destroy();
    } finally {
      this.#init.onClosed();
    }
  }

  /** Vault close: write what is buffered, fsync, close; the file is left for recover(). */
  async detach(): Promise<void> {
    if (this.#state !== 'open') return;
    this.#clearTimer();
    this.#flushPending(true);
    this.#state = 'closed';
    this.#init.syncer.remove(this);
    this.#enqueue(async () => this.#init.fh.datasync());
    await this.#queue;
    await this.#closeFile();
    this.#init.onClosed();
  }

  syncNow(): Promise<void> {
    this.#enqueue(async () => {
      if (!this.#fhClosed) await this.#init.fh.datasync();
    });
    return this.#queue;
  }

  #assertOpen(): void {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#state !== 'open')
      throw new VaultClosedError('recording already finalized or aborted', {
        context: { recordingId: this.id },
      });
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Writes full segments; with `partial`, also the whole frames of a last partial segment. */
  #flushPending(partial: boolean): void {
    if (this.#pendingBytes === 0) return;
    let all = this.#pending.length === 1 ? (this.#pending[0] as Buffer) : Buffer.concat(this.#pending);
    while (all.length >= this.#segmentBytes) {
      this.#writeRecord(RecordType.audio, all.subarray(0, this.#segmentBytes));
      all = all.subarray(this.#segmentBytes);
    }
    if (partial) {
      const whole = all.length - (all.length % this.#frameBytes);
      if (whole > 0) this.#writeRecord(RecordType.audio, all.subarray(0, whole));
      all = all.subarray(whole);
    }
    this.#pending = all.length > 0 ? [all] : [];
    this.#pendingBytes = all.length;
  }

  #writeRecord(type: RecordTypeValue, plaintext: Buffer): void {
    const seq = this.#seq++;
    const rec = sealRecord(this.#init.key, this.#init.headerHash, type, seq, plaintext);
    const offset = this.#offset;
    this.#offset += rec.length;
    if (type === RecordType.audio) {
      this.#audio.push({ offset, length: plaintext.length, seq });
      this.#dataBytes += plaintext.length;
    }
    this.#enqueue(async () => {
      await writeFully(this.#init.fh, rec, offset);
      this.#goodOffset = offset + rec.length;
      if (this.#init.fsync === 'segment') await this.#init.fh.datasync();
      else if (this.#init.fsync === 'batch') this.#init.syncer.markDirty(this);
      this.safeEmit(this.#init.log, 'flushed', { seq, bytes: rec.length });
    });
  }

  #enqueue(op: () => Promise<void>): void {
    this.#queue = this.#queue.then(async () => {
      if (this.#failure !== undefined) return;
      try {
        await op();
      } catch (err) {
        await this.#fail(err);
      }
    });
  }

  async #fail(err: unknown): Promise<void> {
    this.#failure = writeFailure(err, { recordingId: this.id, path: this.path });
    this.#clearTimer();
    this.#init.syncer.remove(this);
    this.#init.log.error({ err, recordingId: this.id }, 'recording write failed; flushed segments kept');
    // Cut a torn record so the file ends on a record boundary; recover() handles it otherwise.
    await this.#init.fh.truncate(this.#goodOffset).catch(() => undefined);
    await this.#init.fh.datasync().catch(() => undefined);
    await this.#closeFile();
    this.#init.onClosed();
    this.safeEmit(this.#init.log, 'error', this.#failure);
  }

  async #closeFile(): Promise<void> {
    if (this.#fhClosed) return;
    this.#fhClosed = true;
    await this.#init.fh.close().catch(() => undefined);
  }

  /** Digest over what is on disk (read back and decrypted), so the signature covers real bytes. */
  async #writeFinal(): Promise<FinishedRecording> {
    const { prefix, suffix } = this.#init.envelope ?? canonicalWavEnvelope(this.format, this.#dataBytes);
    const hash = createHash('sha256').update(prefix);
    for (const a of this.#audio) {
      const body = Buffer.alloc(a.length + TAG_BYTES);
      await this.#init.fh.read(body, 0, body.length, a.offset + RECORD_HEADER_BYTES);
      const rh = { type: RecordType.audio, flags: 0, seq: a.seq, length: a.length };
      hash.update(
        openRecord(this.#init.key, this.#init.headerHash, rh, body, {
          recordingId: this.id,
          offset: a.offset,
        }),
      );
    }
    const digest = hash.update(suffix).digest('hex');
    const signature = this.#init.sign(digestSigningInput(this.id, digest)).toString('base64');
    const final = encodeFinal({
      dataBytes: this.#dataBytes,
      prefix,
      suffix,
      recovered: false,
      digest,
      signature,
      finalizedAt: new Date().toISOString(),
    });
    const seq = this.#seq++;
    const rec = sealRecord(this.#init.key, this.#init.headerHash, RecordType.final, seq, final);
    await writeFully(this.#init.fh, rec, this.#offset);
    this.#offset += rec.length;
    this.#goodOffset = this.#offset;
    await this.#init.fh.datasync();
    return {
      id: this.id,
      path: this.path,
      startedAt: this.startedAt,
      durationMs: durationMsOf(this.format, this.#dataBytes),
      dataBytes: this.#dataBytes,
      digest,
      signature,
      format: this.format,
      recovered: false,
    };
  }
}
