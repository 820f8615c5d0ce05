/**
 * A new container: its id checked, its data key created, its header and first metadata record
 * written with O_EXCL, and the writer that appends to it. Also the WAV import built on it.
 */
import { createHash, randomUUID } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { mkdir, open, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../common/index.js';
import { syncDir, type BatchSyncer } from './batch-sync.js';
import { RecordType, encodeHeader, hashHeader, isRecordingId, sealRecord } from './container.js';
import { VaultBadFormatError, VaultExistsError, VaultWriteFailedError, writeFailure } from './errors.js';
import type { KeyStore } from './keys.js';
import { containerPath } from './layout.js';
import type { RecordKeys } from './record-keys.js';
import type { Seals } from './seal.js';
import type { AudioFormat, FinishedRecording, FsyncPolicy, RecordingMetadata } from './types.js';
import { parseWav, readWavInput, wavFieldsOf } from './wav.js';
import { VaultWriter, writeFully } from './writer.js';

export interface CreateRecordingOptions {
  readonly id?: string;
  readonly format: AudioFormat;
  readonly metadata: RecordingMetadata;
  /** Default now; decides the date directory and the container's created time. */
  readonly startedAt?: Date;
}

interface CreateInternal extends CreateRecordingOptions {
  readonly envelope?: { prefix: Buffer; suffix: Buffer };
}

/** What creating a recording needs of the vault. */
export interface CreateDeps {
  readonly dir: string;
  readonly keys: KeyStore;
  readonly recordKeys: RecordKeys;
  readonly seals: Seals;
  readonly syncer: BatchSyncer;
  readonly segmentMs: number;
  readonly fsync: FsyncPolicy;
  readonly log: Logger;
  /** Writers open in this process, by id; the writer removes itself when closed. */
  readonly active: Map<string, VaultWriter>;
  /** Date directories already created by this process (one mkdir per day, not per call). */
  readonly madeDirs: Set<string>;
}

export async function createRecording(d: CreateDeps, opts: CreateInternal): Promise<VaultWriter> {
  const given = opts.id !== undefined;
  const id = opts.id ?? randomUUID();
  if (!isRecordingId(id))
    throw new VaultBadFormatError('recording id must be a lower-case UUID', {
      context: { recordingId: id },
    });
  const fields = wavFieldsOf(opts.format);
  const startedAt = opts.startedAt ?? new Date();
  const path = containerPath(d.dir, id, startedAt.getTime());
  // A fresh random UUID cannot collide; an id given by the caller (import) is checked.
  if (d.active.has(id) || (given && ((await d.keys.dataKey(id)) !== undefined || (await exists(path))))) {
    throw new VaultExistsError('a recording with this id exists', { context: { recordingId: id } });
  }
  const dir = dirname(path);
  if (!d.madeDirs.has(dir)) {
    await mkdir(dir, { recursive: true, mode: 0o700 }).catch((err: unknown) => {
      throw writeFailure(err, { recordingId: id, path });
    });
    d.madeDirs.add(dir);
  }
  const key = await d.keys.createDataKey(id, startedAt.getTime());
  d.recordKeys.learn(id, key);
  const headerBytes = encodeHeader({
    id,
    createdMs: startedAt.getTime(),
    ...fields,
    segmentMs: d.segmentMs,
  });
  const headerHash = hashHeader(headerBytes);
  const first = Buffer.concat([
    headerBytes,
    sealRecord(key, headerHash, RecordType.meta, 0, Buffer.from(JSON.stringify(opts.metadata))),
  ]);
  let fh;
  try {
    const flags = fsc.O_RDWR | fsc.O_CREAT | fsc.O_EXCL;
    fh = await open(path, flags, 0o600).catch(async (err: NodeJS.ErrnoException) => {
      // The remembered date directory was removed behind our back: make it again, once.
      if (err.code !== 'ENOENT') throw err;
      await mkdir(dir, { recursive: true, mode: 0o700 });
      return open(path, flags, 0o600);
    });
    await writeFully(fh, first, 0);
    if (d.fsync === 'segment') {
      await fh.datasync();
      await syncDir(dir);
    }
  } catch (err) {
    await fh?.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    d.recordKeys.forget(id);
    await d.keys.destroyDataKey(id);
    throw writeFailure(err, { recordingId: id, path });
  }
  const writer = new VaultWriter({
    id,
    path,
    fh,
    key,
    headerHash,
    format: opts.format,
    startedAt,
    segmentMs: d.segmentMs,
    fsync: d.fsync,
    syncer: d.syncer,
    offset: first.length,
    nextSeq: 1,
    sign: (x) => d.keys.sign(x),
    onSealed: (facts) => d.seals.write(id, facts),
    ...(opts.envelope ? { envelope: opts.envelope } : {}),
    destroy: async () => {
      d.recordKeys.forget(id);
      await d.keys.destroyDataKey(id);
      await unlink(path).catch(() => undefined);
    },
    onClosed: () => d.active.delete(id),
    log: d.log,
  });
  d.active.set(id, writer);
  if (d.fsync === 'batch') {
    // The header and metadata reach the disk with the next batch, like the first segment.
    d.syncer.markDirty(writer);
    d.syncer.markDirDirty(dir);
  }
  return writer;
}

/**
 * Imports a WAV, keeping its own header bytes: the export is byte-identical to the input.
 * A recording that does not read back identically is erased again.
 */
export async function importWav(
  d: CreateDeps,
  erase: (id: string) => Promise<void>,
  input: Buffer | string,
  metadata: RecordingMetadata,
  startedAt?: Date,
): Promise<FinishedRecording> {
  const bytes = typeof input === 'string' ? await readWavInput(input) : input;
  const wav = parseWav(bytes);
  const metaStart = typeof metadata.startedAt === 'string' ? new Date(metadata.startedAt) : undefined;
  const start = startedAt ?? (metaStart && !Number.isNaN(metaStart.getTime()) ? metaStart : new Date());
  const writer = await createRecording(d, {
    format: wav.format,
    metadata,
    startedAt: start,
    envelope: { prefix: Buffer.from(wav.prefix), suffix: Buffer.from(wav.suffix) },
  });
  writer.append(wav.audio);
  const finished = await writer.finalize();
  if (finished.digest !== createHash('sha256').update(bytes).digest('hex')) {
    await erase(finished.id);
    throw new VaultWriteFailedError('imported recording does not read back identically', {
      context: { recordingId: finished.id },
    });
  }
  return finished;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
