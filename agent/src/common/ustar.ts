/**
 * A minimal POSIX ustar archive: writer (headers, padding, end marker) and a pass-through
 * follower that names the entries of a stream going by (for progress). Regular files only; what
 * `tar` and every archive tool read. No dependency: a DSAR archive is a handful of files.
 */

export const BLOCK_BYTES = 512;
/** The size field holds 11 octal digits: 8 GiB - 1, far beyond any one recording. */
export const MAX_ENTRY_BYTES = 8 ** 11 - 1;

function put(block: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > length) throw new RangeError(`tar field too long: ${value}`);
  bytes.copy(block, offset);
}

const octal = (n: number, digits: number): string => `${n.toString(8).padStart(digits, '0')}\0`;

/** Splits `dir/name` over ustar's prefix (155) and name (100) fields. */
function splitPath(path: string): { prefix: string; name: string } {
  if (Buffer.byteLength(path) <= 100) return { prefix: '', name: path };
  const slash = path.lastIndexOf('/');
  const prefix = path.slice(0, slash);
  const name = path.slice(slash + 1);
  if (slash < 0 || Buffer.byteLength(prefix) > 155 || Buffer.byteLength(name) > 100)
    throw new RangeError(`tar path too long: ${path}`);
  return { prefix, name };
}

/** The 512-byte header of a regular file (mode 0600: the archive holds personal data). */
export function tarHeader(path: string, size: number, mtime: Date): Buffer {
  if (!Number.isInteger(size) || size < 0 || size > MAX_ENTRY_BYTES)
    throw new RangeError(`tar entry size out of range: ${size}`);
  const h = Buffer.alloc(BLOCK_BYTES);
  const { prefix, name } = splitPath(path);
  put(h, 0, 100, name);
  put(h, 100, 8, octal(0o600, 7));
  put(h, 108, 8, octal(0, 7));
  put(h, 116, 8, octal(0, 7));
  put(h, 124, 12, octal(size, 11));
  put(h, 136, 12, octal(Math.floor(mtime.getTime() / 1000), 11));
  put(h, 148, 8, '        ');
  put(h, 156, 1, '0');
  put(h, 257, 6, 'ustar\0');
  put(h, 263, 2, '00');
  put(h, 345, 155, prefix);
  let sum = 0;
  for (const b of h) sum += b;
  put(h, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

/** Zero bytes that bring an entry of `size` bytes to a block boundary. */
export function tarPadding(size: number): Buffer {
  return Buffer.alloc((BLOCK_BYTES - (size % BLOCK_BYTES)) % BLOCK_BYTES);
}

/** Two zero blocks: the end of the archive. */
export function tarEnd(): Buffer {
  return Buffer.alloc(2 * BLOCK_BYTES);
}

export interface TarEntryEvent {
  readonly path: string;
  readonly size: number;
}

/**
 * Follows a ustar stream chunk by chunk without keeping it: calls `onEntry` at each header and
 * `onData` with the bytes of entries `wantData` selects (e.g. a small manifest).
 */
export class TarFollower {
  #header = Buffer.alloc(0);
  #left = 0;
  #pad = 0;
  #current: TarEntryEvent | null = null;
  #ended = false;
  readonly #onEntry: (e: TarEntryEvent) => void;
  readonly #onData: (e: TarEntryEvent, chunk: Buffer) => void;
  readonly #wantData: (e: TarEntryEvent) => boolean;

  constructor(hooks: {
    onEntry: (e: TarEntryEvent) => void;
    onData?: (e: TarEntryEvent, chunk: Buffer) => void;
    wantData?: (e: TarEntryEvent) => boolean;
  }) {
    this.#onEntry = hooks.onEntry;
    this.#onData = hooks.onData ?? (() => undefined);
    this.#wantData = hooks.wantData ?? (() => false);
  }

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && !this.#ended) {
      if (this.#left > 0) {
        const n = Math.min(this.#left, chunk.length - at);
        const cur = this.#current as TarEntryEvent;
        if (this.#wantData(cur)) this.#onData(cur, chunk.subarray(at, at + n));
        this.#left -= n;
        at += n;
      } else if (this.#pad > 0) {
        const n = Math.min(this.#pad, chunk.length - at);
        this.#pad -= n;
        at += n;
      } else {
        const n = Math.min(BLOCK_BYTES - this.#header.length, chunk.length - at);
        this.#header = Buffer.concat([this.#header, chunk.subarray(at, at + n)]);
        at += n;
        if (this.#header.length === BLOCK_BYTES) this.#takeHeader();
      }
    }
  }

  #takeHeader(): void {
    const h = this.#header;
    this.#header = Buffer.alloc(0);
    if (h.every((b) => b === 0)) {
      this.#ended = true;
      return;
    }
    const field = (o: number, l: number): string => h.toString('utf8', o, o + l).replace(/\0.*$/s, '');
    const prefix = field(345, 155);
    const path = prefix === '' ? field(0, 100) : `${prefix}/${field(0, 100)}`;
    const size = parseInt(field(124, 12).trim(), 8);
    this.#current = { path, size };
    this.#left = size;
    this.#pad = tarPadding(size).length;
    this.#onEntry(this.#current);
  }
}
