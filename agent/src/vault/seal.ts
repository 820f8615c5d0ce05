/**
 * Seals: the authority outside a container that says "this recording was finished".
 *
 * The final record (digest, signature) lives inside the container, so cutting the file's tail
 * removes the very evidence that it was ever finished, and recovery would then "repair" it.
 * A seal is a tiny signed file per finished recording, `storage.dir/seals/<id>.seal`, written
 * when the final record is on disk: `{ v, id, digest, fileBytes, dataBytes, sig }` with `sig`
 * = Ed25519 over `callvault-seal-v1|<id>|<digest>|<fileBytes>|<dataBytes>`. The index record
 * (digest) is the first authority; the seal keeps the promise when the index is lost, and its
 * fileBytes lets start-up catch a cut middle segment without reading the whole file.
 *
 * checkSealed() is the cheap start-up check of a finished container: one stat, the 48-byte
 * header, a tail read of at most 64 KiB and one record decryption — O(1) in the recording's
 * length. It catches truncation, data appended, a swapped container and (with a seal) any
 * change of length; a bit flip inside an audio segment needs the full digest pass (verify).
 */
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../common/index.js';
import {
  HEADER_BYTES,
  RECORD_HEADER_BYTES,
  RecordType,
  TAG_BYTES,
  decodeFinal,
  decodeHeader,
  hashHeader,
  openRecord,
  type FinalInfo,
} from './container.js';
import { VaultDigestMismatchError, VaultTamperedError, VaultTruncatedError } from './errors.js';
import { finalRecordCandidates } from './recovery.js';

export const SEALS_DIR = 'seals';

export interface SealFacts {
  readonly digest: string;
  /** Size of the finished container file (bytes). */
  readonly fileBytes: number;
  /** Bytes of audio in the WAV data chunk. */
  readonly dataBytes: number;
}

export function sealPath(dir: string, id: string): string {
  return join(dir, SEALS_DIR, `${id}.seal`);
}

function signingInput(id: string, f: SealFacts): Buffer {
  return Buffer.from(`callvault-seal-v1|${id}|${f.digest}|${f.fileBytes}|${f.dataBytes}`, 'utf8');
}

/**
 * Written under a temporary name and renamed: a crash never leaves half a seal. `durable`
 * (storage.fsync = segment) syncs it before the rename; otherwise the batch sync covers it.
 */
export async function writeSeal(
  dir: string,
  id: string,
  facts: SealFacts,
  sign: (data: Buffer) => Buffer,
  durable = false,
): Promise<string> {
  const path = sealPath(dir, id);
  const body = JSON.stringify({
    v: 1,
    id,
    digest: facts.digest,
    fileBytes: facts.fileBytes,
    dataBytes: facts.dataBytes,
    sig: sign(signingInput(id, facts)).toString('base64'),
  });
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w', 0o600).catch(async (err: NodeJS.ErrnoException) => {
    // seals/ removed behind our back: make it again, once.
    if (err.code !== 'ENOENT') throw err;
    await mkdir(join(dir, SEALS_DIR), { recursive: true, mode: 0o700 });
    return open(tmp, 'w', 0o600);
  });
  try {
    await fh.writeFile(body);
    if (durable) await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  return path;
}

/**
 * The seal of `id`: undefined when there is none; 'invalid' when it does not parse or its
 * signature fails (the caller logs it and falls back to the index).
 */
export async function readSeal(
  dir: string,
  id: string,
  verify: (data: Buffer, sig: Buffer) => boolean,
): Promise<SealFacts | 'invalid' | undefined> {
  let text: string;
  try {
    text = await readFile(sealPath(dir, id), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const o = JSON.parse(text) as Record<string, unknown>;
    const { digest, fileBytes, dataBytes, sig } = o;
    if (
      o.v !== 1 ||
      o.id !== id ||
      typeof digest !== 'string' ||
      typeof fileBytes !== 'number' ||
      typeof dataBytes !== 'number' ||
      typeof sig !== 'string'
    )
      return 'invalid';
    const facts = { digest, fileBytes, dataBytes };
    return verify(signingInput(id, facts), Buffer.from(sig, 'base64')) ? facts : 'invalid';
  } catch {
    return 'invalid';
  }
}

export async function removeSeal(dir: string, id: string): Promise<void> {
  await unlink(sealPath(dir, id)).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}

/** The seals of one vault: read (invalid ones logged and ignored), written (never fatal), removed. */
export class Seals {
  readonly #dir: string;
  readonly #sign: (data: Buffer) => Buffer;
  readonly #verify: (data: Buffer, sig: Buffer) => boolean;
  readonly #durable: boolean;
  readonly #onWritten: (sealsDir: string) => void;
  readonly #log: Logger;

  constructor(o: {
    dir: string;
    sign: (data: Buffer) => Buffer;
    verify: (data: Buffer, sig: Buffer) => boolean;
    /** fsync each seal (storage.fsync = segment). */
    durable: boolean;
    /** After a write: lets the batch fsync cover the seals directory. */
    onWritten: (sealsDir: string) => void;
    log: Logger;
  }) {
    this.#dir = o.dir;
    this.#sign = o.sign;
    this.#verify = o.verify;
    this.#durable = o.durable;
    this.#onWritten = o.onWritten;
    this.#log = o.log;
  }

  async read(id: string): Promise<SealFacts | undefined> {
    const seal = await readSeal(this.#dir, id, this.#verify);
    if (seal !== 'invalid') return seal;
    // A seal torn by power loss or edited: the index stays the authority; say so.
    this.#log.warn(
      { recordingId: id },
      'seal of a recording is unreadable or not signed by this appliance; ignored',
    );
    return undefined;
  }

  /** A missing seal only weakens the check when the index is also lost: logged, never fatal. */
  async write(id: string, facts: SealFacts): Promise<void> {
    try {
      await writeSeal(this.#dir, id, facts, this.#sign, this.#durable);
      this.#onWritten(join(this.#dir, SEALS_DIR));
    } catch (err) {
      this.#log.error({ err, recordingId: id }, 'cannot write the seal of a finished recording');
    }
  }

  async remove(id: string): Promise<void> {
    await removeSeal(this.#dir, id).catch(() => undefined);
  }
}

export interface CheckSealedParams {
  readonly id: string;
  readonly path: string;
  readonly key: Buffer;
  /** The digest recorded at finalisation (index record or seal). */
  readonly digest: string;
  readonly seal?: SealFacts;
}

/** Throws the coded integrity error when the finished container is not what was sealed. */
export async function checkSealed(p: CheckSealedParams): Promise<void> {
  const ctx = { recordingId: p.id };
  const fh = await open(p.path, 'r');
  try {
    const size = (await fh.stat()).size;
    if (p.seal !== undefined && size !== p.seal.fileBytes) {
      const Err = size < p.seal.fileBytes ? VaultTruncatedError : VaultTamperedError;
      throw new Err('container size differs from the size sealed at finalisation', {
        context: { ...ctx, bytes: size, sealedBytes: p.seal.fileBytes },
      });
    }
    const headerBytes = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await fh.read(headerBytes, 0, HEADER_BYTES, 0);
    const header = decodeHeader(headerBytes.subarray(0, bytesRead), ctx);
    if (header.id !== p.id)
      throw new VaultTamperedError('container belongs to another recording', { context: ctx });
    const headerHash = hashHeader(headerBytes);
    let final: FinalInfo | undefined;
    // Normally one candidate; a spurious match inside ciphertext simply fails to authenticate.
    for (const c of await finalRecordCandidates(fh, size)) {
      const body = Buffer.alloc(c.length + TAG_BYTES);
      await fh.read(body, 0, body.length, c.offset + RECORD_HEADER_BYTES);
      const rh = { type: RecordType.final, flags: 0, seq: c.seq, length: c.length };
      try {
        final = decodeFinal(openRecord(p.key, headerHash, rh, body, { ...ctx, offset: c.offset }), p.id);
        break;
      } catch (err) {
        if ((err as { code?: string }).code !== 'CV_ERR_VAULT_TAMPERED') throw err;
      }
    }
    if (final === undefined)
      throw new VaultTruncatedError('finished container has lost its final record', { context: ctx });
    if (p.seal !== undefined && final.dataBytes !== p.seal.dataBytes)
      throw new VaultTamperedError('audio size differs from the sealed size', { context: ctx });
    if (final.digest !== p.digest)
      throw new VaultDigestMismatchError('digest differs from the one recorded at finalisation', {
        context: ctx,
      });
  } finally {
    await fh.close();
  }
}
