/**
 * The vault container (`<id>.wav.enc`): pure encode/decode of its header and records.
 *
 *   header (48 bytes, plaintext, big-endian):
 *     0  magic "CVAULT01"            8
 *     8  header version (1)        u16
 *    10  recording id (UUID bytes)  16
 *    26  created, ms since epoch   u64
 *    34  WAV formatTag             u16   1 PCM16, 6 A-law, 7 µ-law
 *    36  channels                  u16
 *    38  sampleRate (Hz)           u32
 *    42  bitsPerSample             u16
 *    44  segment target (ms)       u32
 *   records, back to back until EOF:
 *     type u8 (1 meta, 2 audio, 3 final) | flags u8 (0) | seq u32 | ciphertext length u32
 *     ciphertext | 16-byte GCM tag
 *
 * AES-256-GCM under the recording's data key. AAD = SHA-256(header) || record header, so a
 * flipped header bit breaks every record and type/seq/length cannot be edited. The nonce is
 * 0x00000000 || u64 seq and seq runs 0,1,2… in file order: a nonce never repeats under one
 * key, and a reader that sees seq out of order knows records were moved before decrypting.
 * Record 0 is meta (JSON); later metas supersede it. Audio records carry ≤ one segment of
 * frame-aligned samples. The last record is final (JSON: WAV prefix/suffix, data size,
 * digest, signature); anything after it is tampering, its absence is truncation.
 * The data key is NOT in the file: it is wrapped in the keystore, so deleting it shreds the
 * recording (see keys.ts).
 */
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { loadNativeAddon } from '../common/index.js';
import { VaultNotAContainerError, VaultTamperedError, VaultTruncatedError } from './errors.js';

export const MAGIC = Buffer.from('CVAULT01', 'ascii');
export const HEADER_VERSION = 1;
export const HEADER_BYTES = 48;
export const RECORD_HEADER_BYTES = 10;
export const TAG_BYTES = 16;
/** Ciphertext length limit per record: far above a segment, low enough to reject garbage early. */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

export const RecordType = { meta: 1, audio: 2, final: 3 } as const;
export type RecordTypeValue = (typeof RecordType)[keyof typeof RecordType];

export interface ContainerHeader {
  readonly id: string;
  readonly createdMs: number;
  readonly formatTag: number;
  readonly channels: number;
  readonly sampleRate: number;
  readonly bitsPerSample: number;
  readonly segmentMs: number;
}

export interface RecordHeader {
  readonly type: RecordTypeValue;
  readonly flags: number;
  readonly seq: number;
  /** Ciphertext bytes (= plaintext bytes); the tag follows. */
  readonly length: number;
}

/** Contents of the final record. prefix + audio + suffix is the exported WAV. */
export interface FinalInfo {
  readonly dataBytes: number;
  readonly prefix: Buffer;
  readonly suffix: Buffer;
  readonly recovered: boolean;
  readonly digest: string;
  readonly signature: string;
  readonly finalizedAt: string;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isRecordingId(id: string): boolean {
  return UUID_RE.test(id);
}

function uuidToBytes(id: string): Buffer {
  return Buffer.from(id.replace(/-/g, ''), 'hex');
}

function bytesToUuid(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function encodeHeader(h: ContainerHeader): Buffer {
  const b = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(b, 0);
  b.writeUInt16BE(HEADER_VERSION, 8);
  uuidToBytes(h.id).copy(b, 10);
  b.writeBigUInt64BE(BigInt(h.createdMs), 26);
  b.writeUInt16BE(h.formatTag, 34);
  b.writeUInt16BE(h.channels, 36);
  b.writeUInt32BE(h.sampleRate, 38);
  b.writeUInt16BE(h.bitsPerSample, 42);
  b.writeUInt32BE(h.segmentMs, 44);
  return b;
}

/** Parses the plaintext header; field checks here only keep garbage out — GCM proves it. */
export function decodeHeader(
  b: Buffer,
  context: { recordingId?: string; path?: string } = {},
): ContainerHeader {
  const magicLen = Math.min(b.length, MAGIC.length);
  if (magicLen === 0 || !b.subarray(0, magicLen).equals(MAGIC.subarray(0, magicLen))) {
    throw new VaultNotAContainerError('not a callvault container (bad magic)', { context });
  }
  if (b.length < HEADER_BYTES) {
    throw new VaultTruncatedError('container shorter than its header', {
      context: { ...context, bytes: b.length },
    });
  }
  const version = b.readUInt16BE(8);
  if (version !== HEADER_VERSION) {
    throw new VaultNotAContainerError('unsupported container version', { context: { ...context, version } });
  }
  const createdMs = b.readBigUInt64BE(26);
  if (createdMs > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new VaultTamperedError('container header is corrupt (created time)', { context });
  }
  return {
    id: bytesToUuid(b.subarray(10, 26)),
    createdMs: Number(createdMs),
    formatTag: b.readUInt16BE(34),
    channels: b.readUInt16BE(36),
    sampleRate: b.readUInt32BE(38),
    bitsPerSample: b.readUInt16BE(42),
    segmentMs: b.readUInt32BE(44),
  };
}

export function hashHeader(headerBytes: Buffer): Buffer {
  return createHash('sha256').update(headerBytes).digest();
}

export function encodeRecordHeader(r: RecordHeader): Buffer {
  const b = Buffer.alloc(RECORD_HEADER_BYTES);
  b.writeUInt8(r.type, 0);
  b.writeUInt8(r.flags, 1);
  b.writeUInt32BE(r.seq, 2);
  b.writeUInt32BE(r.length, 6);
  return b;
}

export function decodeRecordHeader(
  b: Buffer,
  context: { recordingId?: string; offset: number },
): RecordHeader {
  const type = b.readUInt8(0);
  const flags = b.readUInt8(1);
  const length = b.readUInt32BE(6);
  if (type < RecordType.meta || type > RecordType.final || flags !== 0 || length > MAX_RECORD_BYTES) {
    throw new VaultTamperedError('record header is corrupt', { context: { ...context, type, flags } });
  }
  return { type: type as RecordTypeValue, flags, seq: b.readUInt32BE(2), length };
}

export function nonceFor(seq: number): Buffer {
  const n = Buffer.alloc(12);
  n.writeBigUInt64BE(BigInt(seq), 4);
  return n;
}

/** Encrypts one record and returns its complete bytes (record header, ciphertext, tag). */
export function sealRecord(
  key: Buffer,
  headerHash: Buffer,
  type: RecordTypeValue,
  seq: number,
  plaintext: Buffer,
): Buffer {
  return Buffer.concat(sealRecordParts(key, headerHash, type, seq, plaintext));
}

/**
 * sealRecord as the pieces of the record in file order (header, ciphertext, tag): a vectored
 * write stores them without first copying a whole segment into one buffer.
 */
export function sealRecordParts(
  key: Buffer,
  headerHash: Buffer,
  type: RecordTypeValue,
  seq: number,
  plaintext: Buffer | readonly Buffer[],
): Buffer[] {
  const pieces = Buffer.isBuffer(plaintext) ? [plaintext] : plaintext;
  const length = pieces.reduce((n, p) => n + p.length, 0);
  const rh = encodeRecordHeader({ type, flags: 0, seq, length });
  const cipher = createCipheriv('aes-256-gcm', key, nonceFor(seq), { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.concat([headerHash, rh]));
  // GCM is a stream mode: pieces encrypt to the same bytes as their concatenation would.
  const out = [rh];
  for (const p of pieces) out.push(cipher.update(p));
  const last = cipher.final();
  if (last.length > 0) out.push(last);
  out.push(cipher.getAuthTag());
  return out;
}

/**
 * Decrypts one record body (ciphertext || tag). Plaintext is returned only after the tag
 * verified, so no unauthenticated byte ever leaves the vault.
 */
interface SealAddon {
  seal(key: Buffer, iv: Buffer, aad: readonly Buffer[], pieces: readonly Buffer[], tag: Buffer): void;
  open(key: Buffer, iv: Buffer, aad: readonly Buffer[], data: Buffer, tag: Buffer): boolean;
}

const sealAddon = (): SealAddon | null => loadNativeAddon<SealAddon>('vault-seal').addon;

/** Whether sealRecordInPlace can run here (native/vault-seal.c built). */
export function inPlaceSealAvailable(): boolean {
  return sealAddon() !== null;
}

/**
 * sealRecordParts without new buffers for the ciphertext: the pieces are encrypted in place
 * (native/vault-seal.c, node's own OpenSSL), so the bytes on disk are the same and a live
 * recording's segment chunks carry its ciphertext to the disk instead of leaving garbage.
 * Returns the record as [header, ...pieces, tag]; null when the addon is not built.
 */
export function sealRecordInPlace(
  key: Buffer,
  headerHash: Buffer,
  type: RecordTypeValue,
  seq: number,
  pieces: readonly Buffer[],
): Buffer[] | null {
  const addon = sealAddon();
  if (addon === null) return null;
  const length = pieces.reduce((n, p) => n + p.length, 0);
  const rh = encodeRecordHeader({ type, flags: 0, seq, length });
  const tag = Buffer.allocUnsafe(TAG_BYTES);
  addon.seal(key, nonceFor(seq), [headerHash, rh], pieces, tag);
  return [rh, ...pieces, tag];
}

export function openRecord(
  key: Buffer,
  headerHash: Buffer,
  rh: RecordHeader,
  body: Buffer,
  context: { recordingId: string; offset: number },
): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, nonceFor(rh.seq), { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.concat([headerHash, encodeRecordHeader(rh)]));
  decipher.setAuthTag(body.subarray(rh.length, rh.length + TAG_BYTES));
  try {
    const pt = decipher.update(body.subarray(0, rh.length));
    const last = decipher.final();
    return last.length === 0 ? pt : Buffer.concat([pt, last]);
  } catch (err) {
    throw unauthentic(rh, context, err);
  }
}

function unauthentic(rh: RecordHeader, context: { recordingId: string; offset: number }, cause?: unknown) {
  return new VaultTamperedError('record failed authentication', {
    cause,
    context: { recordingId: context.recordingId, seq: rh.seq, offset: context.offset },
  });
}

/**
 * openRecord decrypting body in place (native/vault-seal.c): returns body's first rh.length
 * bytes, now plaintext, and allocates nothing. Falls back to openRecord without the addon.
 */
export function openRecordInPlace(
  key: Buffer,
  headerHash: Buffer,
  rh: RecordHeader,
  body: Buffer,
  context: { recordingId: string; offset: number },
): Buffer {
  const addon = sealAddon();
  if (addon === null) return openRecord(key, headerHash, rh, body, context);
  const data = body.subarray(0, rh.length);
  const tag = body.subarray(rh.length, rh.length + TAG_BYTES);
  if (
    tag.length !== TAG_BYTES ||
    !addon.open(key, nonceFor(rh.seq), [headerHash, encodeRecordHeader(rh)], data, tag)
  )
    throw unauthentic(rh, context);
  return data;
}

export function recordBytes(rh: RecordHeader): number {
  return RECORD_HEADER_BYTES + rh.length + TAG_BYTES;
}

export function encodeFinal(f: FinalInfo): Buffer {
  return Buffer.from(
    JSON.stringify({
      v: 1,
      dataBytes: f.dataBytes,
      prefix: f.prefix.toString('base64'),
      suffix: f.suffix.toString('base64'),
      recovered: f.recovered,
      digest: f.digest,
      signature: f.signature,
      finalizedAt: f.finalizedAt,
    }),
  );
}

export function decodeFinal(b: Buffer, recordingId: string): FinalInfo {
  const bad = (): VaultTamperedError =>
    new VaultTamperedError('final record is malformed', { context: { recordingId } });
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(b.toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new VaultTamperedError('final record is malformed', { cause: err, context: { recordingId } });
  }
  if (
    o === null ||
    typeof o !== 'object' ||
    o.v !== 1 ||
    typeof o.dataBytes !== 'number' ||
    typeof o.prefix !== 'string' ||
    typeof o.suffix !== 'string' ||
    typeof o.recovered !== 'boolean' ||
    typeof o.digest !== 'string' ||
    typeof o.signature !== 'string' ||
    typeof o.finalizedAt !== 'string'
  ) {
    throw bad();
  }
  return {
    dataBytes: o.dataBytes,
    prefix: Buffer.from(o.prefix, 'base64'),
    suffix: Buffer.from(o.suffix, 'base64'),
    recovered: o.recovered,
    digest: o.digest,
    signature: o.signature,
    finalizedAt: o.finalizedAt,
  };
}

export function decodeMeta(b: Buffer, recordingId: string): Record<string, unknown> {
  try {
    const o: unknown = JSON.parse(b.toString('utf8'));
    if (o !== null && typeof o === 'object' && !Array.isArray(o)) return o as Record<string, unknown>;
  } catch (err) {
    throw new VaultTamperedError('meta record is malformed', { cause: err, context: { recordingId } });
  }
  throw new VaultTamperedError('meta record is malformed', { context: { recordingId } });
}

/** The exact bytes the appliance key signs for a finished recording. */
export function digestSigningInput(id: string, digest: string): Buffer {
  return Buffer.from(`callvault-digest-v1|${id}|${digest}`, 'utf8');
}
