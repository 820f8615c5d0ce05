/**
 * Checks a LevelDB directory's files before it is opened (the index and the keystore both).
 * LevelDB itself is lenient where a recorder must not be: with CURRENT missing it creates an
 * empty database, it opens table files lazily, a deleted write-ahead log is simply not replayed,
 * and a damaged log record is skipped (classic-level offers no paranoid_checks). Each of those
 * silently loses acknowledged writes, so they are found here and reported as damage instead.
 *
 * The MANIFEST gives the live table files (number → size), so a truncated live table is told
 * from a half-written one that a kill -9 left behind during a compaction (LevelDB deletes the
 * latter at open, it is no damage), and the number of the current write-ahead log. Both the
 * MANIFEST and the logs use the LevelDB log format (32 KiB blocks of 7-byte-header records;
 * db/log_format.h); the MANIFEST holds VersionEdit records (db/version_edit.cc).
 */
import { readdir, readFile, stat, open } from 'node:fs/promises';
import { join } from 'node:path';

const BLOCK_BYTES = 32768;
const HEADER_BYTES = 7;
const FULL = 1;
const FIRST = 2;
const MIDDLE = 3;
const LAST = 4;

const TAG_COMPARATOR = 1;
const TAG_LOG_NUMBER = 2;
const TAG_NEXT_FILE = 3;
const TAG_LAST_SEQUENCE = 4;
const TAG_COMPACT_POINTER = 5;
const TAG_DELETED_FILE = 6;
const TAG_NEW_FILE = 7;
const TAG_PREV_LOG_NUMBER = 9;

/** Records of a log-format file; a torn tail (crash while appending) ends the list. */
function logRecords(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let pending: Buffer[] = [];
  let pos = 0;
  while (pos + HEADER_BYTES <= buf.length) {
    const left = BLOCK_BYTES - (pos % BLOCK_BYTES);
    if (left < HEADER_BYTES) {
      pos += left;
      continue;
    }
    const len = buf.readUInt16LE(pos + 4);
    const type = buf[pos + 6];
    const start = pos + HEADER_BYTES;
    if (type === 0 && len === 0) {
      pos += left;
      continue;
    }
    if (start + len > buf.length || len > left - HEADER_BYTES) break;
    const data = buf.subarray(start, start + len);
    pos = start + len;
    if (type === FULL) out.push(data);
    else if (type === FIRST) pending = [data];
    else if (type === MIDDLE) pending.push(data);
    else if (type === LAST) {
      pending.push(data);
      out.push(Buffer.concat(pending));
      pending = [];
    } else throw new Error(`bad record type ${String(type)}`);
  }
  return out;
}

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.buf[this.pos++];
      if (b === undefined) throw new Error('truncated varint');
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    throw new Error('varint too long');
  }
  skipBytes(): void {
    const n = this.varint();
    if (this.pos + n > this.buf.length) throw new Error('truncated field');
    this.pos += n;
  }
}

export interface ManifestState {
  /** Live table files: file number → size in bytes. */
  readonly live: Map<number, number>;
  /** The write-ahead log in use when the MANIFEST was last written (0: none yet). */
  readonly logNumber: number;
  readonly prevLogNumber: number;
}

/** Live table files of the MANIFEST: file number → size in bytes. Throws on a malformed edit. */
export function liveTables(manifest: Buffer): Map<number, number> {
  return readManifest(manifest).live;
}

/** Replays the MANIFEST's VersionEdits. Throws on a malformed edit. */
export function readManifest(manifest: Buffer): ManifestState {
  const live = new Map<number, number>();
  let logNumber = 0;
  let prevLogNumber = 0;
  for (const rec of logRecords(manifest)) {
    const r = new Reader(rec);
    while (!r.done) {
      const tag = r.varint();
      switch (tag) {
        case TAG_COMPARATOR:
          r.skipBytes();
          break;
        case TAG_LOG_NUMBER:
          logNumber = r.varint();
          break;
        case TAG_PREV_LOG_NUMBER:
          prevLogNumber = r.varint();
          break;
        case TAG_NEXT_FILE:
        case TAG_LAST_SEQUENCE:
          r.varint();
          break;
        case TAG_COMPACT_POINTER:
          r.varint();
          r.skipBytes();
          break;
        case TAG_DELETED_FILE:
          r.varint();
          live.delete(r.varint());
          break;
        case TAG_NEW_FILE: {
          r.varint();
          const num = r.varint();
          const size = r.varint();
          r.skipBytes();
          r.skipBytes();
          live.set(num, size);
          break;
        }
        default:
          throw new Error(`unknown VersionEdit tag ${tag}`);
      }
    }
  }
  return { live, logNumber, prevLogNumber };
}

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32C (Castagnoli), the checksum of LevelDB's log records. */
export function crc32c(buf: Uint8Array, init = 0): number {
  let c = ~init >>> 0;
  for (let i = 0; i < buf.length; i++)
    c = (CRC32C_TABLE[(c ^ (buf[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}

/** LevelDB stores CRCs masked (util/crc32c.h), so a CRC of data holding CRCs stays strong. */
function unmask(masked: number): number {
  const rot = (masked - 0xa282ead8) >>> 0;
  return ((rot >>> 17) | (rot << 15)) >>> 0;
}

function allZero(buf: Buffer, from: number): boolean {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

/**
 * Checks every record of a write-ahead log. Only a torn tail is accepted — a last record cut
 * short or failing its checksum with nothing but zeros after it, which is what a crash while
 * appending leaves (never an acknowledged write: a synced write returns after its record is
 * whole). Anything damaged before the tail is reported: LevelDB would skip it and every record
 * after it in that block, losing writes that were acknowledged.
 * Returns null when the log is sound, else what is wrong and at which offset.
 */
export function checkLogFile(buf: Buffer): string | null {
  let pos = 0;
  let inFragment = false;
  while (pos < buf.length) {
    const left = BLOCK_BYTES - (pos % BLOCK_BYTES);
    if (left < HEADER_BYTES) {
      if (!allZero(buf.subarray(pos, pos + left), 0)) return `bad block trailer at offset ${pos}`;
      pos += left;
      continue;
    }
    if (pos + HEADER_BYTES > buf.length) return null; // torn header at the end
    const len = buf.readUInt16LE(pos + 4);
    const type = buf[pos + 6] as number;
    const start = pos + HEADER_BYTES;
    if (type === 0 && len === 0) {
      // Zeros: a preallocated or zero-filled tail. Fine only if nothing follows.
      return allZero(buf, pos) ? null : `zeroed record followed by data at offset ${pos}`;
    }
    if (len > left - HEADER_BYTES) return `bad record length at offset ${pos}`;
    if (start + len > buf.length) return null; // torn record at the end
    const crcOk =
      unmask(buf.readUInt32LE(pos)) ===
      crc32c(buf.subarray(start, start + len), crc32c(buf.subarray(pos + 6, pos + 7)));
    // A last record failing its checksum is torn only if it ends in zeros (space the file got
    // before its data, as power loss leaves it); a flipped byte in a whole record is damage.
    if (!crcOk)
      return allZero(buf, start + len) &&
        allZero(buf.subarray(0, start + len), Math.max(start, start + len - 16))
        ? null
        : `checksum mismatch at offset ${pos}`;
    if (type === FULL || type === FIRST) {
      if (inFragment) return `unfinished record before offset ${pos}`;
      inFragment = type === FIRST;
    } else if (type === MIDDLE || type === LAST) {
      if (!inFragment) return `record fragment without its start at offset ${pos}`;
      inFragment = type === MIDDLE;
    } else return `bad record type ${type} at offset ${pos}`;
    pos = start + len;
  }
  return null;
}

export type LevelDirState =
  | { readonly state: 'fresh' }
  | { readonly state: 'existing' }
  | { readonly state: 'damaged'; readonly problem: string; readonly file?: string };

const TABLE_MAGIC = Buffer.from('57fb808b247547db', 'hex');
const FOOTER_BYTES = 48;

async function tableIntact(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    if (size < FOOTER_BYTES) return false;
    const tail = Buffer.alloc(TABLE_MAGIC.length);
    await fh.read(tail, 0, tail.length, size - tail.length);
    return tail.equals(TABLE_MAGIC);
  } finally {
    await fh.close();
  }
}

const fileName = (num: number, ext: string): string => `${String(num).padStart(6, '0')}.${ext}`;

/**
 * 'fresh' for a missing or empty directory; 'damaged' (with what is wrong) when CURRENT, the
 * MANIFEST, a live table or the write-ahead log is missing or damaged. I/O errors other than a
 * missing directory are thrown. A write-ahead log deleted after the last open is the
 * MANIFEST's log number without its file: LevelDB would open without the writes in it.
 */
export async function inspectLevelDir(dir: string): Promise<LevelDirState> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'fresh' };
    throw err;
  }
  const damaged = (problem: string, file?: string): LevelDirState =>
    file === undefined ? { state: 'damaged', problem } : { state: 'damaged', problem, file };
  const hasData = names.some((n) => /^(?:MANIFEST-\d+|\d+\.(?:ldb|sst|log))$/.test(n));
  if (!names.includes('CURRENT')) return hasData ? damaged('CURRENT is missing') : { state: 'fresh' };
  const current = (await readFile(join(dir, 'CURRENT'), 'utf8')).trim();
  if (!/^MANIFEST-\d+$/.test(current) || !names.includes(current))
    return damaged('CURRENT does not name an existing MANIFEST');
  if ((await stat(join(dir, current))).size === 0) return damaged(`${current} is empty`, current);
  let manifest: ManifestState;
  try {
    manifest = readManifest(await readFile(join(dir, current)));
  } catch {
    return damaged(`${current} is unreadable`, current);
  }
  for (const [num, size] of manifest.live) {
    const name = names.includes(fileName(num, 'ldb')) ? fileName(num, 'ldb') : fileName(num, 'sst');
    if (!names.includes(name)) return damaged(`table ${fileName(num, 'ldb')} is missing`, name);
    const path = join(dir, name);
    if ((await stat(path)).size !== size || !(await tableIntact(path)))
      return damaged(`table ${name} is truncated or damaged`, name);
  }
  if (manifest.logNumber > 0 && !names.includes(fileName(manifest.logNumber, 'log')))
    return damaged(
      `write-ahead log ${fileName(manifest.logNumber, 'log')} is missing`,
      fileName(manifest.logNumber, 'log'),
    );
  // LevelDB replays every log from prevLogNumber/logNumber on; each must be sound.
  const firstLog = manifest.prevLogNumber > 0 ? manifest.prevLogNumber : manifest.logNumber;
  for (const name of names) {
    const m = /^(\d+)\.log$/.exec(name);
    if (m === null || Number(m[1]) < firstLog) continue;
    const problem = checkLogFile(await readFile(join(dir, name)));
    if (problem !== null) return damaged(`write-ahead log ${name} is damaged (${problem})`, name);
  }
  return { state: 'existing' };
}
