/**
 * VaultWriter: one recording being written. Audio is encrypted in memory and appended as
 * records of ≤ segmentMs; plaintext never reaches the disk. Every file operation runs on one
 * promise queue, so records land in seq order and fsyncs never race a write or the close.
 * Durability: a segment is written when full, or by a wall-clock timer at most segmentMs
 * after its first byte arrived, so a crash loses ≤ segmentMs; fsync follows the policy.
 * 'flushed' means "handed to the kernel": it survives kill -9; power loss only after fsync.
 */
import { TypedEmitter, type CallvaultError } from '../common/index.js';
import type { Syncable } from './batch-sync.js';
import {
  RecordType,
  digestSigningInput,
  encodeFinal,
  inPlaceSealAvailable,
  sealRecord,
  sealRecordInPlace,
  sealRecordParts,
  type RecordTypeValue,
} from './container.js';
import { VaultBadFormatError, VaultBadRangeError, VaultClosedError, writeFailure } from './errors.js';
import type { AudioFormat, FinishedRecording, RecordingMetadata } from './types.js';
import { bytesPerMs, canonicalWavEnvelope, durationMsOf, frameBytes } from './wav.js';
import { SegmentBuffer, returnChunks, type PooledChunk } from './segment-buffer.js';
import type { WriterInit } from './writer-init.js';
import { digestAudio, writeFully, type AudioRecordRef } from './writer-io.js';

// Split out of this module; still importable from here.
export { writeFully };
export type { WriterInit };

export type VaultWriterEvents = {
  flushed: [{ seq: number; bytes: number }];
  error: [CallvaultError];
};

type State = 'open' | 'finalizing' | 'closed';

/**
 * Sealed records handed to the write queue and not yet on disk, process-wide. Their chunks
 * stay in memory until written, so a disk slower than the calls shows here first (and in RSS).
 */
let backlogBytes = 0;

/** Bytes of sealed recording data waiting for the disk (all writers). */
export function writeBacklogBytes(): number {
  return backlogBytes;
}

/** PCM16 in the vault is little-endian; the sample view writes host order, swapped on commit if not. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export class VaultWriter extends TypedEmitter<VaultWriterEvents> implements Syncable {
  readonly id: string;
  readonly path: string;
  readonly format: AudioFormat;
  readonly startedAt: Date;
  readonly #init: WriterInit;
  readonly #segmentBytes: number;
  readonly #frameBytes: number;
  readonly #audio: AudioRecordRef[] = [];
  /**
   * Plaintext of the segment being filled, in pooled chunks: audio is written into it in place
   * (append copies, the recorder writes samples through `pcm`) and sealed when full, so a live
   * recording allocates nothing per tick.
   */
  readonly #segment: SegmentBuffer;
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
    this.#segment = new SegmentBuffer(this.#segmentBytes);
    this.#seq = init.nextSeq;
    this.#offset = init.offset;
    this.#goodOffset = init.offset;
  }

  /** Audio bytes accepted so far (written or buffered). */
  get dataBytes(): number {
    return this.#dataBytes + this.#segment.fill;
  }

  /** Buffers a copy of `pcm`; full segments are encrypted and queued for writing at once. */
  append(pcm: Buffer): void {
    this.#assertOpen();
    let done = 0;
    while (done < pcm.length) {
      const n = Math.min(pcm.length - done, this.#segmentBytes - this.#segment.fill);
      this.#segment.writeBytes(pcm, done, n);
      done += n;
      if (this.#segment.fill === this.#segmentBytes) this.#sealFull();
    }
    this.#armTimer();
  }

  /**
   * The segment buffer's current chunk as PCM16 samples (pcm16 recordings only): write samples
   * at [pcmIndex, pcmIndex + pcmRoom), then commitPcm(count), and ask again for the rest.
   * Nothing is copied or allocated.
   */
  get pcm(): Int16Array {
    if (this.format.encoding !== 'pcm16')
      throw new VaultBadFormatError('sample view is for pcm16 recordings', {
        context: { recordingId: this.id },
      });
    return this.#segment.sampleView();
  }

  get pcmIndex(): number {
    return this.#segment.sampleIndex;
  }

  /** Samples that fit in the current chunk and segment (whole frames). */
  get pcmRoom(): number {
    return this.#segment.sampleRoom;
  }

  /** Accepts `samples` written through `pcm` at pcmIndex (whole frames); seals a full segment. */
  commitPcm(samples: number): void {
    this.#assertOpen();
    const bytes = samples * 2;
    if (bytes <= 0) return;
    if (bytes > this.#segment.sampleRoom * 2 || bytes % this.#frameBytes !== 0)
      throw new VaultBadRangeError('commit beyond the segment or not whole frames', {
        context: { recordingId: this.id, samples, room: this.pcmRoom },
      });
    if (!LITTLE_ENDIAN) this.#segment.written(bytes).swap16();
    this.#segment.advance(bytes);
    if (this.#segment.fill === this.#segmentBytes) this.#sealFull();
    this.#armTimer();
  }

  /** A partial segment is written by a wall-clock timer at most segmentMs after its first byte. */
  #armTimer(): void {
    if (this.#segment.fill === 0) {
      this.#clearTimer();
      return;
    }
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#state === 'open' && this.#failure === undefined) this.#flushPending(true);
    }, this.#init.segmentMs);
    this.#timer.unref();
  }

  #sealFull(): void {
    this.#writeAudio(this.#segmentBytes);
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
    this.#segment.release();
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
    this.#segment.release();
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

  /** Resolves when every queued file operation is done (after a failure: once the file is closed). */
  settled(): Promise<void> {
    return this.#queue.then(() => undefined);
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

  /** Writes the whole frames of a partial segment; a trailing partial frame stays buffered. */
  #flushPending(partial: boolean): void {
    const fill = this.#segment.fill;
    if (fill === 0 || !partial) return;
    const whole = fill - (fill % this.#frameBytes);
    if (whole > 0) this.#writeAudio(whole);
  }

  /**
   * Seals and queues the segment's first `bytes`. With the native sealer the segment's chunks
   * are encrypted in place and go back to the pool once written; otherwise node:crypto seals
   * a copy.
   */
  #writeAudio(bytes: number): void {
    if (inPlaceSealAvailable()) {
      const { pieces, chunks } = this.#segment.take(bytes);
      this.#writeRecord(RecordType.audio, pieces, chunks);
    } else {
      this.#writeRecord(RecordType.audio, this.#segment.parts(bytes));
      this.#segment.consume(bytes);
    }
  }

  /** `owned`: pooled chunks holding plaintext, sealed in place and returned after the write. */
  #writeRecord(
    type: RecordTypeValue,
    plaintext: Buffer | readonly Buffer[],
    owned?: readonly PooledChunk[],
  ): void {
    const seq = this.#seq++;
    const { key, headerHash } = this.#init;
    // Owned chunks are only handed over when the native sealer is there (see #writeAudio).
    const rec =
      owned !== undefined
        ? (sealRecordInPlace(key, headerHash, type, seq, plaintext as Buffer[]) ??
          sealRecordParts(key, headerHash, type, seq, plaintext))
        : sealRecordParts(key, headerHash, type, seq, plaintext);
    const recBytes = rec.reduce((n, b) => n + b.length, 0);
    backlogBytes += recBytes;
    const offset = this.#offset;
    this.#offset += recBytes;
    if (type === RecordType.audio) {
      const length = Buffer.isBuffer(plaintext)
        ? plaintext.length
        : plaintext.reduce((n, p) => n + p.length, 0);
      this.#audio.push({ offset, length, seq });
      this.#dataBytes += length;
    }
    this.#enqueue(
      async () => {
        await writeFully(this.#init.fh, rec, offset);
        this.#goodOffset = offset + recBytes;
        if (this.#init.fsync === 'segment') await this.#init.fh.datasync();
        else if (this.#init.fsync === 'batch') this.#init.syncer.markDirty(this);
        this.safeEmit(this.#init.log, 'flushed', { seq, bytes: recBytes });
      },
      () => {
        backlogBytes -= recBytes;
        if (owned !== undefined) returnChunks(owned);
      },
    );
  }

  /** `after` runs once the op is done or skipped (a failed writer skips what is queued). */
  #enqueue(op: () => Promise<void>, after?: () => void): void {
    this.#queue = this.#queue.then(async () => {
      try {
        if (this.#failure !== undefined) return;
        await op();
      } catch (err) {
        await this.#fail(err);
      } finally {
        after?.();
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

  async #writeFinal(): Promise<FinishedRecording> {
    const { prefix, suffix } = this.#init.envelope ?? canonicalWavEnvelope(this.format, this.#dataBytes);
    const { fh, key, headerHash } = this.#init;
    const digest = await digestAudio({ id: this.id, fh, key, headerHash }, this.#audio, prefix, suffix);
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
    await this.#init.onSealed?.({ digest, fileBytes: this.#offset, dataBytes: this.#dataBytes });
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
