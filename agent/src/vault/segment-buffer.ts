/**
 * The plaintext of the segment a writer is filling, held in 4 KiB chunks from a process-wide
 * pool instead of one segment-sized buffer. A live recording fills its segment over 2 s and
 * the calls' segments are staggered, so on average half of each segment exists: with a
 * thousand calls that is ~40 MB less resident memory than a 64 KiB buffer per call (16 KiB
 * chunks left ~10 MB more in partly filled chunks at 1 250 calls). Chunks go back to the pool
 * zeroed once sealed, so audio does not linger in memory either.
 */

/** A multiple of every frame size (2 and 4 bytes), so a frame never straddles two chunks. */
export const CHUNK_BYTES = 4096;
/**
 * Free chunks kept for reuse: as many as are in use, and at least POOL_MIN. Chunks are taken in
 * bursts (every recorder tick) and come back in bursts (as segment writes complete, sometimes
 * thousands after a slow disk moment). A fixed cap of 4 096 was overrun both ways at 1 250
 * calls — 1–2 000 chunks/s dropped and as many allocated again, 4–8 MB/s of garbage that held
 * RSS 20–40 MiB higher until the next full GC. Tied to the chunks in use, the pool follows the
 * load and shrinks again after it.
 */
const POOL_MIN = 1024;
let inUse = 0;
let allocated = 0;

/** A pooled chunk and its sample view, made once (not per segment). */
export interface PooledChunk {
  readonly bytes: Buffer;
  readonly samples: Int16Array;
}

const pool: PooledChunk[] = [];

function takeChunk(): PooledChunk {
  inUse++;
  const c = pool.pop();
  if (c !== undefined) return c;
  allocated++;
  const bytes = Buffer.alloc(CHUNK_BYTES);
  return { bytes, samples: new Int16Array(bytes.buffer, bytes.byteOffset, CHUNK_BYTES >> 1) };
}

function giveChunk(c: PooledChunk, used: number): void {
  c.bytes.fill(0, 0, used);
  inUse--;
  if (pool.length < POOL_MIN || pool.length < inUse) pool.push(c);
}

export class SegmentBuffer {
  readonly capacity: number;
  readonly #chunks: PooledChunk[] = [];
  #fill = 0;

  /** capacity: the segment's size in bytes (a whole number of frames). */
  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** Bytes buffered. */
  get fill(): number {
    return this.#fill;
  }

  /** The chunk that the next byte goes into, made present. */
  #current(): number {
    const i = Math.floor(this.#fill / CHUNK_BYTES);
    while (this.#chunks.length <= i) this.#chunks.push(takeChunk());
    return i;
  }

  /** The current chunk as samples: write at sampleIndex, at most sampleRoom, then advance(). */
  sampleView(): Int16Array {
    return this.#chunks[this.#current()]!.samples;
  }

  get sampleIndex(): number {
    return (this.#fill % CHUNK_BYTES) >> 1;
  }

  /** Samples that fit in the current chunk without passing the segment's end. */
  get sampleRoom(): number {
    return Math.min(CHUNK_BYTES - (this.#fill % CHUNK_BYTES), this.capacity - this.#fill) >> 1;
  }

  /** The bytes just written through sampleView (within the current chunk). */
  written(bytes: number): Buffer {
    const c = this.#chunks[this.#current()]!.bytes;
    const at = this.#fill % CHUNK_BYTES;
    return c.subarray(at, at + bytes);
  }

  advance(bytes: number): void {
    this.#fill += bytes;
  }

  /** Copies src[from, from + n) in; n must fit (capacity − fill). */
  writeBytes(src: Buffer, from: number, n: number): void {
    let done = 0;
    while (done < n) {
      const c = this.#chunks[this.#current()]!.bytes;
      const at = this.#fill % CHUNK_BYTES;
      const k = Math.min(n - done, CHUNK_BYTES - at);
      src.copy(c, at, from + done, from + done + k);
      this.#fill += k;
      done += k;
    }
  }

  /** [0, bytes) as pieces in order (views, valid until the next consume/release). */
  parts(bytes: number): Buffer[] {
    const out: Buffer[] = [];
    for (let at = 0, i = 0; at < bytes; at += CHUNK_BYTES, i++) {
      const c = this.#chunks[i]!.bytes;
      // A whole chunk is its own piece: a view per chunk was a Buffer per 4 KiB sealed.
      out.push(bytes - at >= CHUNK_BYTES ? c : c.subarray(0, bytes - at));
    }
    return out;
  }

  /** Drops the first `bytes` (just sealed); what followed them (a partial frame) moves to the start. */
  consume(bytes: number): void {
    const tail = this.#copyFrom(bytes);
    this.release();
    if (tail !== null) this.writeBytes(tail, 0, tail.length);
  }

  /** A copy of [from, fill): at most a partial frame, null when empty. */
  #copyFrom(from: number): Buffer | null {
    const rest = this.#fill - from;
    if (rest <= 0) return null;
    const tail = Buffer.alloc(rest);
    for (let k = 0; k < rest; k++) {
      const at = from + k;
      tail[k] = this.#chunks[Math.floor(at / CHUNK_BYTES)]!.bytes[at % CHUNK_BYTES]!;
    }
    return tail;
  }

  /**
   * Hands over [0, bytes) for sealing in place: `pieces` are views of `chunks`, which now belong
   * to the caller until it gives them back with returnChunks(). What followed (a partial
   * frame) moves into a fresh chunk; the buffer goes on filling from there.
   */
  take(bytes: number): { pieces: Buffer[]; chunks: PooledChunk[] } {
    const tail = this.#copyFrom(bytes);
    const pieces = this.parts(bytes);
    const chunks = this.#chunks.splice(0);
    this.#fill = 0;
    if (tail !== null) this.writeBytes(tail, 0, tail.length);
    return { pieces, chunks };
  }

  /** Returns every chunk to the pool (zeroed). */
  release(): void {
    let left = this.#fill;
    for (const c of this.#chunks) {
      giveChunk(c, Math.min(CHUNK_BYTES, Math.max(0, left)));
      left -= CHUNK_BYTES;
    }
    this.#chunks.length = 0;
    this.#fill = 0;
  }
}

/** Gives chunks from SegmentBuffer.take() back to the pool, zeroed (whatever they now hold). */
export function returnChunks(chunks: readonly PooledChunk[]): void {
  for (const c of chunks) giveChunk(c, CHUNK_BYTES);
}

/** Chunks held by segments and writes, free in the pool, and allocated since start (for tests). */
export function chunkCounts(): { inUse: number; free: number; allocated: number } {
  return { inUse, free: pool.length, allocated };
}
