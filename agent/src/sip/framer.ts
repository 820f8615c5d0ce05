/**
 * SipStreamFramer: TCP/TLS byte stream → whole SIP messages (RFC 3261 §18.3). Content-Length is
 * mandatory on streams. CRLFCRLF between messages is an RFC 5626 keep-alive ping (answer with
 * one CRLF); a lone CRLF is a pong and is skipped. Any framing error is final: the connection
 * must be closed, because the stream position is lost.
 */
import { SipClosedError, SipParseError } from './errors.js';
import { parseDecimal } from './grammar.js';
import { DEFAULT_MAX_MESSAGE_BYTES, findHeaderEnd, splitLines } from './parser.js';

const PING = Buffer.from('\r\n\r\n', 'latin1');

export type SipFrame = { readonly type: 'message'; readonly bytes: Buffer } | { readonly type: 'ping' };

export interface FramerOptions {
  /** Largest message (headers + body) accepted. Default DEFAULT_MAX_MESSAGE_BYTES. */
  readonly maxMessageBytes?: number;
}

function contentLengthOf(head: Buffer, maxBytes: number): number {
  let found: number | undefined;
  for (const line of splitLines(head.toString('latin1'))) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trimEnd().toLowerCase();
    if (name !== 'content-length' && name !== 'l') continue;
    if (found !== undefined) throw new SipParseError('content-length', 'repeated Content-Length');
    found = parseDecimal(line.slice(colon + 1).trim(), maxBytes);
    if (found === undefined) throw new SipParseError('content-length', 'not a number in range');
  }
  if (found === undefined) throw new SipParseError('content-length', 'required on streams');
  return found;
}

export class SipStreamFramer {
  readonly #maxBytes: number;
  #buf: Buffer = Buffer.alloc(0);
  /** Where the header-end search resumes, so a slow sender costs O(n), not O(n²). */
  #scanFrom = 0;
  #failed: SipParseError | undefined;
  #failedHead: Buffer | undefined;

  constructor(opts: FramerOptions = {}) {
    this.#maxBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  /** Bytes held waiting for the rest of a message. */
  get bufferedBytes(): number {
    return this.#buf.length;
  }

  /**
   * Adds a chunk and returns every frame it completes. Throws SipParseError ('too-large',
   * 'content-length') on a framing error, and SipClosedError on any later call.
   */
  push(chunk: Buffer): SipFrame[] {
    if (this.#failed !== undefined) throw new SipClosedError('SIP stream framer');
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    const frames: SipFrame[] = [];
    try {
      return this.#drain(frames);
    } catch (err) {
      this.#failed = err instanceof SipParseError ? err : new SipParseError('truncated', 'framer failure');
      if (this.#failed.reason === 'content-length') {
        // The header section was whole (Content-Length is read from it): keep it so the
        // stack can answer 400 before the connection closes (RFC 4475 §3.3.9 mcl01).
        const ends = findHeaderEnd(this.#buf, 0);
        if (ends !== undefined) this.#failedHead = Buffer.from(this.#buf.subarray(0, ends[1]));
      }
      this.#buf = Buffer.alloc(0);
      // Messages cut before the failure are whole and valid: hand them over; `failed` tells the
      // transport to stop reading. With none, the failure is thrown as before.
      if (frames.length > 0) return frames;
      throw this.#failed;
    }
  }

  /** Set once framing failed: the stream cannot be resynchronised and must be closed. */
  get failed(): SipParseError | undefined {
    return this.#failed;
  }

  /**
   * The header section of the message whose Content-Length failed framing (repeated, not a
   * number, missing): enough to answer it with 400. Undefined for any other failure.
   */
  get failedHead(): Buffer | undefined {
    return this.#failedHead;
  }

  #drain(frames: SipFrame[]): SipFrame[] {
    for (;;) {
      let start = 0;
      let waiting = false;
      while (start < this.#buf.length && (this.#buf[start] === 0x0d || this.#buf[start] === 0x0a)) {
        const rest = this.#buf.subarray(start, start + 4);
        if (rest.equals(PING)) {
          frames.push({ type: 'ping' });
          start += 4;
        } else if (rest.length < 4 && PING.subarray(0, rest.length).equals(rest)) {
          waiting = true;
          break;
        } else {
          start++;
        }
      }
      if (start > 0) {
        this.#buf = this.#buf.subarray(start);
        this.#scanFrom = 0;
      }
      if (waiting || this.#buf.length === 0) return frames;
      const ends = findHeaderEnd(this.#buf, this.#scanFrom);
      if (ends === undefined) {
        if (this.#buf.length > this.#maxBytes)
          throw new SipParseError('too-large', 'header section too long');
        this.#scanFrom = Math.max(0, this.#buf.length - 3);
        return frames;
      }
      const total = ends[1] + contentLengthOf(this.#buf.subarray(0, ends[0]), this.#maxBytes);
      if (total > this.#maxBytes)
        throw new SipParseError('too-large', `message over ${this.#maxBytes} bytes`);
      if (this.#buf.length < total) {
        this.#scanFrom = 0;
        return frames;
      }
      // Copy out so a parsed message never pins the connection's receive buffer.
      frames.push({ type: 'message', bytes: Buffer.from(this.#buf.subarray(0, total)) });
      this.#buf = this.#buf.subarray(total);
      this.#scanFrom = 0;
    }
  }
}
