/**
 * Crash recovery: a container without a final record (its writer died: kill -9, power
 * loss, disk full) is closed properly. A torn tail — a record cut short, zeros the file
 * system left after power loss, or a last record whose tag fails — is cut off; then a final
 * record flagged `recovered` with the canonical WAV header for the audio actually present
 * is appended and signed. Anything else wrong (a bad record before the tail, reordering)
 * may be tampering: the container is reported and left exactly as it is. Never deletes.
 */
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import type { CallvaultError } from '../common/index.js';
import {
  RECORD_HEADER_BYTES,
  RecordType,
  TAG_BYTES,
  decodeMeta,
  digestSigningInput,
  encodeFinal,
  sealRecord,
} from './container.js';
import { VaultTamperedError, VaultTruncatedError } from './errors.js';
import { decryptRecord, scanContainer, type RecordEntry } from './reader.js';
import type { RecordingMetadata, RecoveredRecording } from './types.js';
import { canonicalWavEnvelope, durationMsOf } from './wav.js';
import { writeFully } from './writer.js';

/** Final records are small: a finished container ends with one inside its last 64 KiB. */
const TAIL_PROBE_BYTES = 64 * 1024;

/** A record header of type final whose length reaches exactly to EOF: where the final record may be. */
export interface FinalCandidate {
  readonly offset: number;
  readonly seq: number;
  readonly length: number;
}

/**
 * Positions in the last 64 KiB where a final record reaching exactly to EOF could start,
 * nearest the end first (normally exactly one; GCM decides which is real).
 */
export async function finalRecordCandidates(fh: FileHandle, fileBytes: number): Promise<FinalCandidate[]> {
  const n = Math.min(fileBytes, TAIL_PROBE_BYTES);
  const tail = Buffer.alloc(n);
  await fh.read(tail, 0, n, fileBytes - n);
  const out: FinalCandidate[] = [];
  for (let p = n - RECORD_HEADER_BYTES - TAG_BYTES; p >= 0; p--) {
    const length = n - p - RECORD_HEADER_BYTES - TAG_BYTES;
    if (tail[p] === RecordType.final && tail[p + 1] === 0 && tail.readUInt32BE(p + 6) === length)
      out.push({ offset: fileBytes - n + p, seq: tail.readUInt32BE(p + 2), length });
  }
  return out;
}

/**
 * Cheap check used before a full scan: does the file end with a record header of type final
 * whose length reaches exactly to EOF? Start-up runs this over every container.
 */
export async function looksFinalized(fh: FileHandle, fileBytes: number): Promise<boolean> {
  return (await finalRecordCandidates(fh, fileBytes)).length > 0;
}

async function isZeroFrom(fh: FileHandle, from: number, to: number): Promise<boolean> {
  const chunk = Buffer.alloc(64 * 1024);
  for (let at = from; at < to; at += chunk.length) {
    const { bytesRead } = await fh.read(chunk, 0, Math.min(chunk.length, to - at), at);
    for (let i = 0; i < bytesRead; i++) if (chunk[i] !== 0) return false;
  }
  return true;
}

export interface RecoverParams {
  readonly id: string;
  readonly path: string;
  readonly key: Buffer;
  readonly sign: (data: Buffer) => Buffer;
}

/** Recovers one container; undefined when it is already finalized. Throws the coded reason otherwise. */
export async function recoverContainer(p: RecoverParams): Promise<RecoveredRecording | undefined> {
  const fh = await open(p.path, 'r+');
  try {
    const size = (await fh.stat()).size;
    if (await looksFinalized(fh, size)) return undefined;
    const scan = await scanContainer(fh, p.id);
    if (scan.problem === undefined) return undefined;
    const ctx = { recordingId: p.id, offset: scan.validEnd };
    const hasFinal = scan.records.some((r) => r.type === RecordType.final);
    const tornTail =
      scan.validEnd === size ||
      (scan.problem as CallvaultError).code === 'CV_ERR_VAULT_TRUNCATED' ||
      (await isZeroFrom(fh, scan.validEnd, size));
    if (hasFinal || !tornTail) throw scan.problem;
    let records: RecordEntry[] = scan.records;
    const last = records.at(-1);
    if (last !== undefined) {
      try {
        await decryptRecord(fh, p.key, scan, last);
      } catch {
        records = records.slice(0, -1);
      }
    }
    const first = records[0];
    if (first === undefined)
      throw new VaultTruncatedError('container holds no intact metadata record', { context: ctx });
    const format = scan.format;
    const dataBytes = records.reduce((n, r) => n + (r.type === RecordType.audio ? r.length : 0), 0);
    const { prefix, suffix } = canonicalWavEnvelope(format, dataBytes);
    // Authenticate every kept record before changing a byte: a bad one here is not a torn tail.
    const hash = createHash('sha256').update(prefix);
    let metadata: RecordingMetadata = {};
    for (const r of records) {
      const pt = await decryptRecord(fh, p.key, scan, r);
      if (r.type === RecordType.audio) hash.update(pt);
      else if (r.type === RecordType.meta) metadata = decodeMeta(pt, p.id);
      else throw new VaultTamperedError('unexpected record type', { context: ctx });
    }
    const digest = hash.update(suffix).digest('hex');
    const signature = p.sign(digestSigningInput(p.id, digest)).toString('base64');
    const final = encodeFinal({
      dataBytes,
      prefix,
      suffix,
      recovered: true,
      digest,
      signature,
      finalizedAt: new Date().toISOString(),
    });
    const cut = records.length === scan.records.length ? scan.validEnd : (last as RecordEntry).offset;
    const finalRecord = sealRecord(p.key, scan.headerHash, RecordType.final, records.length, final);
    await fh.truncate(cut);
    await writeFully(fh, finalRecord, cut);
    await fh.datasync();
    return {
      id: p.id,
      path: p.path,
      startedAt: new Date(scan.header.createdMs),
      durationMs: durationMsOf(format, dataBytes),
      dataBytes,
      digest,
      signature,
      format,
      recovered: true,
      metadata,
      fileBytes: cut + finalRecord.length,
    };
  } finally {
    await fh.close();
  }
}
