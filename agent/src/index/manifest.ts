/**
 * Reads the live table files (number → size) out of a LevelDB MANIFEST, so the pre-open check
 * can tell a truncated live table from a half-written one that a kill -9 left behind during a
 * compaction (LevelDB deletes the latter at open, it is no damage). Format: the LevelDB log format
 * (32 KiB blocks of 7-byte-header records) holding VersionEdit records (db/version_edit.cc).
 */

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

/** Live table files of the MANIFEST: file number → size in bytes. Throws on a malformed edit. */
export function liveTables(manifest: Buffer): Map<number, number> {
  const live = new Map<number, number>();
  for (const rec of logRecords(manifest)) {
    const r = new Reader(rec);
    while (!r.done) {
      const tag = r.varint();
      switch (tag) {
        case TAG_COMPARATOR:
          r.skipBytes();
          break;
        case TAG_LOG_NUMBER:
        case TAG_NEXT_FILE:
        case TAG_LAST_SEQUENCE:
        case TAG_PREV_LOG_NUMBER:
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
  return live;
}
