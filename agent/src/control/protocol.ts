/**
 * The control-socket wire format: one JSON object per line, both ways.
 *
 *   client → daemon   {t:"req", cmd, args, deadlineMs?}  then  {t:"up", d:<base64>}*  {t:"end"}
 *   daemon → client   {t:"down", d:<base64>}* {t:"progress", done, total}*  then  {t:"res", ok:true, result} | {t:"res", ok:false, error}
 *
 * Binary payloads (a WAV to import, an export) travel as base64 chunks so neither side ever
 * holds more than one chunk of a download in a line buffer. Lines are capped in size: a peer
 * that sends an endless line is cut off rather than exhausting memory.
 *
 * The client says nothing about who it is: the daemon reads the peer's uid and pid from the
 * kernel (peer.ts). A request that still carries an `actor` (older clients, or a forger) has it
 * ignored.
 */
export const CHUNK_BYTES = 192 * 1024;
export const MAX_LINE_BYTES = 1024 * 1024;

/** Who runs a command, as handlers see it; built by the daemon or the local CLI, never sent. */
export interface ActorInfo {
  /** `os:<user>(uid=N,pid=P)` (peer.ts actorName). */
  readonly name: string;
  /** `control` (through the daemon's socket) or `local` (the CLI opened the storage). */
  readonly from: string;
}

export type ClientFrame =
  | {
      readonly t: 'req';
      readonly cmd: string;
      readonly args: Record<string, unknown>;
      /**
       * Epoch ms after which the client has given up: the daemon refuses to start the command
       * later (a stalled daemon must not run a command whose caller already reported failure).
       */
      readonly deadlineMs?: number;
    }
  | { readonly t: 'up'; readonly d: string }
  | { readonly t: 'end' };

export interface WireError {
  readonly code: string;
  readonly message: string;
  readonly exit: number;
}

export type ServerFrame =
  | { readonly t: 'down'; readonly d: string }
  /** How far a long command is (only when the request's args carry `progress: true`). */
  | { readonly t: 'progress'; readonly done: number; readonly total: number }
  | { readonly t: 'res'; readonly ok: true; readonly result: unknown }
  | { readonly t: 'res'; readonly ok: false; readonly error: WireError };

/** Splits a byte stream into lines; throws when a line exceeds MAX_LINE_BYTES. */
export class LineSplitter {
  #pending = '';

  push(chunk: Buffer | string): string[] {
    this.#pending += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    const lines = this.#pending.split('\n');
    this.#pending = lines.pop() ?? '';
    if (this.#pending.length > MAX_LINE_BYTES) throw new Error('control line too long');
    return lines.filter((l) => l.length > 0);
  }
}

export function encodeFrame(frame: ClientFrame | ServerFrame): string {
  return `${JSON.stringify(frame)}\n`;
}
