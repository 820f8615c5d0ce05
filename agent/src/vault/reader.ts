/**
 * Reading containers. scanContainer() walks the plaintext record headers only (no
 * decryption) and builds the segment table that gives random access: the decrypted WAV is
 * prefix | audio records in seq order | suffix, and every audio record's plaintext length
 * equals its ciphertext length. Each record is authenticated before any of its bytes are
 * returned.
 */
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { CallvaultError } from '../common/index.js';
import {
  HEADER_BYTES,
  RECORD_HEADER_BYTES,
  RecordType,
  TAG_BYTES,
  decodeFinal,
  decodeHeader,
  decodeMeta,
  decodeRecordHeader,
  digestSigningInput,
  hashHeader,
  openRecord,
  recordBytes,
  type ContainerHeader,
  type FinalInfo,
  type RecordTypeValue,
} from './container.js';
import {
  VaultBadRangeError,
  VaultBadSignatureError,
  VaultNotFoundError,
  VaultReorderedError,
  VaultTamperedError,
  VaultTruncatedError,
} from './errors.js';
import type { AudioFormat, ByteRange, RecordingMetadata, VerifyResult } from './types.js';
import { durationMsOf, formatOfWavFields } from './wav.js';

export interface RecordEntry {
  readonly type: RecordTypeValue;
  readonly seq: number;
  /** File offset of the record header. */
  readonly offset: number;
  readonly length: number;
}

export interface ScanResult {
  readonly header: ContainerHeader;
  readonly format: AudioFormat;
  readonly headerHash: Buffer;
  /** Structurally valid records, in order, up to the first problem. */
  readonly records: RecordEntry[];
  readonly fileBytes: number;
  /** Why the container is not complete (missing final, torn tail, reordering…), if it is not. */
  readonly problem?: CallvaultError;
  /** End of the last structurally valid record. */
  readonly validEnd: number;
}

async function readExactly(fh: FileHandle, length: number, position: number): Promise<Buffer> {
  const b = Buffer.alloc(length);
  const { bytesRead } = await fh.read(b, 0, length, position);
  return bytesRead === length ? b : b.subarray(0, bytesRead);
}

export async function scanContainer(fh: FileHandle, expectedId: string): Promise<ScanResult> {
  const fileBytes = (await fh.stat()).size;
  const ctx = { recordingId: expectedId };
  const headerBytes = await readExactly(fh, HEADER_BYTES, 0);
  const header = decodeHeader(headerBytes, ctx);
  const format = formatOfWavFields(header);
  if (header.id !== expectedId || format === undefined || header.segmentMs === 0) {
    throw new VaultTamperedError('container header does not match the recording', { context: ctx });
  }
  const records: RecordEntry[] = [];
  let offset = HEADER_BYTES;
  let problem: CallvaultError | undefined;
  while (offset < fileBytes) {
    const at = { ...ctx, offset, seq: records.length };
    if (fileBytes - offset < RECORD_HEADER_BYTES) {
      problem = new VaultTruncatedError('container ends inside a record header', { context: at });
      break;
    }
    let rh;
    try {
      rh = decodeRecordHeader(await readExactly(fh, RECORD_HEADER_BYTES, offset), at);
    } catch (err) {
      problem = err as CallvaultError;
      break;
    }
    if (rh.seq !== records.length) {
      problem = new VaultReorderedError('record out of sequence', { context: { ...at, found: rh.seq } });
      break;
    }
    if (records.length === 0 && rh.type !== RecordType.meta) {
      problem = new VaultTamperedError('first record is not the metadata record', { context: at });
      break;
    }
    if (offset + recordBytes(rh) > fileBytes) {
      problem = new VaultTruncatedError('record runs past the end of the file', { context: at });
      break;
    }
    records.push({ type: rh.type, seq: rh.seq, offset, length: rh.length });
    offset += recordBytes(rh);
    if (rh.type === RecordType.final) {
      if (offset !== fileBytes)
        problem = new VaultTamperedError('data after the final record', { context: { ...ctx, offset } });
      break;
    }
  }
  if (problem === undefined && records.at(-1)?.type !== RecordType.final) {
    problem = new VaultTruncatedError('container has no final record', { context: { ...ctx, offset } });
  }
  const last = records.at(-1);
  const validEnd =
    last === undefined ? HEADER_BYTES : last.offset + RECORD_HEADER_BYTES + last.length + TAG_BYTES;
  return {
    header,
    format,
    headerHash: hashHeader(headerBytes),
    records,
    fileBytes,
    validEnd,
    ...(problem ? { problem } : {}),
  };
}

export async function decryptRecord(
  fh: FileHandle,
  key: Buffer,
  scan: ScanResult,
  r: RecordEntry,
): Promise<Buffer> {
  const body = await readExactly(fh, r.length + 16, r.offset + RECORD_HEADER_BYTES);
  const rh = { type: r.type, flags: 0, seq: r.seq, length: r.length };
  return openRecord(key, scan.headerHash, rh, body, { recordingId: scan.header.id, offset: r.offset });
}

/** The last metadata record's content (later meta records supersede earlier ones). */
export async function readLatestMeta(
  fh: FileHandle,
  key: Buffer,
  scan: ScanResult,
): Promise<RecordingMetadata> {
  let meta: RecordingMetadata = {};
  for (const r of scan.records)
    if (r.type === RecordType.meta) meta = decodeMeta(await decryptRecord(fh, key, scan, r), scan.header.id);
  return meta;
}

export interface VaultReader {
  readonly id: string;
  readonly format: AudioFormat;
  /** Start of the recording (container header). */
  readonly createdAt: Date;
  /** Total bytes of the decrypted WAV. */
  readonly size: number;
  readonly metadata: RecordingMetadata;
  readonly final: FinalInfo & { readonly durationMs: number };
  /** Decrypts on the fly; `range` is inclusive like fs.createReadStream and HTTP Range. */
  createReadStream(range?: ByteRange): Readable;
  readAll(): Promise<Buffer>;
}

async function openFile(path: string, id: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (err) {
    throw new VaultNotFoundError('recording file not found', {
      cause: err,
      context: { recordingId: id, path },
    });
  }
}

export async function openContainerReader(id: string, path: string, key: Buffer): Promise<VaultReader> {
  const fh = await openFile(path, id);
  let scan: ScanResult;
  let metadata: RecordingMetadata;
  let final: FinalInfo;
  try {
    scan = await scanContainer(fh, id);
    if (scan.problem !== undefined) throw scan.problem;
    metadata = await readLatestMeta(fh, key, scan);
    final = decodeFinal(await decryptRecord(fh, key, scan, scan.records.at(-1) as RecordEntry), id);
  } finally {
    await fh.close();
  }
  const segments: { entry: RecordEntry; start: number }[] = [];
  let audioBytes = 0;
  for (const r of scan.records) {
    if (r.type !== RecordType.audio) continue;
    segments.push({ entry: r, start: audioBytes });
    audioBytes += r.length;
  }
  if (audioBytes !== final.dataBytes) {
    throw new VaultTamperedError('audio size differs from the final record', {
      context: { recordingId: id, audioBytes, dataBytes: final.dataBytes },
    });
  }
  const size = final.prefix.length + audioBytes + final.suffix.length;
  const s = scan;

  async function* generate(start: number, end: number): AsyncGenerator<Buffer> {
    const slice = (b: Buffer, at: number): Buffer | undefined => {
      const from = Math.max(start - at, 0);
      const to = Math.min(end + 1 - at, b.length);
      return from < to ? b.subarray(from, to) : undefined;
    };
    const p = slice(final.prefix, 0);
    if (p) yield p;
    const base = final.prefix.length;
    let i = segments.findIndex((g) => base + g.start + g.entry.length > start);
    if (i >= 0 && base + (segments[i]?.start ?? 0) <= end) {
      const rfh = await openFile(path, id);
      try {
        for (; i < segments.length; i++) {
          const g = segments[i] as { entry: RecordEntry; start: number };
          if (base + g.start > end) break;
          const out = slice(await decryptRecord(rfh, key, s, g.entry), base + g.start);
          if (out) yield out;
        }
      } finally {
        await rfh.close();
      }
    }
    const t = slice(final.suffix, base + audioBytes);
    if (t) yield t;
  }

  const reader: VaultReader = {
    id,
    format: scan.format,
    createdAt: new Date(scan.header.createdMs),
    size,
    metadata,
    final: { ...final, durationMs: durationMsOf(scan.format, final.dataBytes) },
    createReadStream(range?: ByteRange): Readable {
      const start = range?.start ?? 0;
      const end = Math.min(range?.end ?? size - 1, size - 1);
      if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || (start > end && size > 0)) {
        throw new VaultBadRangeError('byte range outside the recording', {
          context: { recordingId: id, start, end, size },
        });
      }
      return Readable.from(generate(start, end), { objectMode: false });
    },
    async readAll(): Promise<Buffer> {
      const out = Buffer.alloc(size);
      let at = 0;
      for await (const chunk of generate(0, size - 1)) at += (chunk as Buffer).copy(out, at);
      return out;
    },
  };
  return reader;
}

/** Decrypts everything, recomputes the digest and checks the appliance signature. */
export async function verifyReader(
  reader: VaultReader,
  verifySig: (data: Buffer, sig: Buffer) => boolean,
): Promise<VerifyResult> {
  const hash = createHash('sha256');
  for await (const chunk of reader.createReadStream()) hash.update(chunk as Buffer);
  const digest = hash.digest('hex');
  const ctx = { recordingId: reader.id };
  if (digest !== reader.final.digest)
    throw new VaultTamperedError('digest does not match the final record', { context: ctx });
  if (!verifySig(digestSigningInput(reader.id, digest), Buffer.from(reader.final.signature, 'base64'))) {
    throw new VaultBadSignatureError('digest signature does not verify with the appliance key', {
      context: ctx,
    });
  }
  return { ok: true, digest, recovered: reader.final.recovered };
}

/** Metadata of any container, also one still being written or not yet recovered. */
export async function readMetadataAt(id: string, path: string, key: Buffer): Promise<RecordingMetadata> {
  const fh = await open(path, 'r').catch((err: unknown) => {
    throw new VaultNotFoundError('recording file not found', { cause: err, context: { recordingId: id } });
  });
  try {
    return await readLatestMeta(fh, key, await scanContainer(fh, id));
  } finally {
    await fh.close();
  }
}
