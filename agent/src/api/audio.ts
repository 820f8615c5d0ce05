/**
 * Sending a recording's audio: decrypted on the fly from the vault (never to disk), as WAV with
 * HTTP Range, or transcoded by an ffmpeg child fed through pipes (mp3, opus).
 *
 * Delivery has one shape for both: the first output chunk is produced before anything is
 * committed, then `onStart` (the listen audit entry) runs, then the status and headers go out
 * with that chunk. So a request that fails before any audio exists (ffmpeg missing, decryption of
 * the first bytes failing) gets a JSON error and is not a listen; a failure after the first
 * byte destroys the connection — the client sees an aborted transfer, never a clean short file —
 * and `onFail` records it. A HEAD request or a refused Range never reaches this far.
 */
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import { Semaphore } from '../common/index.js';
import type { VaultReader } from '../vault/index.js';
import { HttpError } from './http-errors.js';

export type AudioFormat = 'wav' | 'mp3' | 'opus';

/** Transcoders at once (each an ffmpeg process of about one core), and requests allowed to wait. */
export const MAX_TRANSCODES = 2;
export const MAX_TRANSCODES_WAITING = 8;

const FFMPEG_ARGS: Readonly<Record<Exclude<AudioFormat, 'wav'>, readonly string[]>> = {
  mp3: ['-f', 'mp3', '-b:a', '64k'],
  opus: ['-c:a', 'libopus', '-b:a', '32k', '-f', 'ogg'],
};
const CONTENT_TYPE: Readonly<Record<AudioFormat, string>> = {
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
  opus: 'audio/ogg',
};

export interface DeliveryHooks {
  /** Runs once, after the first chunk exists and before any byte is sent (the audit entry). */
  onStart(): Promise<void>;
  /** Runs when delivery fails; `started` says whether bytes had gone out. */
  onFail(err: unknown, started: boolean): Promise<void>;
}

export function audioFormat(req: Request): AudioFormat {
  const f = req.query['format'] ?? 'wav';
  if (f === 'wav' || f === 'mp3' || f === 'opus') return f;
  throw new HttpError(400, 'CV_ERR_API_BAD_FORMAT', 'format must be wav, mp3 or opus');
}

/** One `bytes=a-b` range (the only form players send); null when there is none. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | null {
  if (header === undefined) return null;
  const m = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim());
  if (m === null || (m[1] === '' && m[2] === ''))
    throw new HttpError(416, 'CV_ERR_API_BAD_RANGE', 'unsupported Range');
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(size - 1, Number(m[2]));
  }
  if (start > end || start >= size)
    throw new HttpError(416, 'CV_ERR_API_BAD_RANGE', 'Range outside the recording');
  return { start, end };
}

const isMissing = (err: unknown): boolean => {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'EACCES';
};

/** ffmpeg's output; throws when the input (decryption) or ffmpeg itself failed, even after EOF. */
async function* transcoded(
  reader: VaultReader,
  format: Exclude<AudioFormat, 'wav'>,
  signal: AbortSignal,
): AsyncGenerator<Buffer> {
  const ff = spawn(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-f', 'wav', '-i', 'pipe:0', ...FFMPEG_ARGS[format], 'pipe:1'],
    { stdio: ['pipe', 'pipe', 'ignore'], signal, killSignal: 'SIGKILL' },
  );
  // A child's 'error' with no listener would crash the daemon; this one outlives the request.
  let spawnError: unknown = null;
  ff.on('error', (err) => (spawnError ??= err));
  const exited = new Promise<number | null>((resolve) => ff.once('close', (code) => resolve(code)));
  await new Promise<void>((resolve) => {
    ff.once('spawn', resolve);
    ff.once('error', () => resolve());
  });
  if (spawnError !== null) {
    throw isMissing(spawnError)
      ? new HttpError(
          503,
          'CV_ERR_API_TRANSCODER_MISSING',
          'ffmpeg is not installed: only format=wav is served',
        )
      : new HttpError(503, 'CV_ERR_API_TRANSCODER_FAILED', 'the transcoder could not be started');
  }
  let inputError: unknown = null;
  const input = pipeline(reader.createReadStream(), ff.stdin).catch((err: unknown) => {
    inputError = err;
    ff.kill('SIGKILL');
  });
  try {
    for await (const chunk of ff.stdout) yield chunk as Buffer;
    await input;
    const code = await exited;
    if (inputError !== null) throw inputError;
    if (code !== 0) throw new HttpError(502, 'CV_ERR_API_TRANSCODER_FAILED', `ffmpeg exited with ${code}`);
  } finally {
    if (ff.exitCode === null && ff.signalCode === null) ff.kill('SIGKILL');
  }
}

/** First chunk, then hooks.onStart, then headers and the rest; see the file comment. */
async function deliver(
  res: Response,
  source: AsyncIterator<Buffer>,
  hooks: DeliveryHooks,
  commit: () => void,
): Promise<void> {
  let first: IteratorResult<Buffer>;
  try {
    first = await source.next();
  } catch (err) {
    await hooks.onFail(err, false);
    throw err;
  }
  await hooks.onStart();
  commit();
  async function* all(): AsyncGenerator<Buffer> {
    if (first.done !== true) yield first.value;
    for (;;) {
      const n = await source.next();
      if (n.done === true) return;
      yield n.value;
    }
  }
  let failure: unknown = null;
  const body = Readable.from(all(), { objectMode: false });
  body.on('error', (err) => (failure ??= err));
  try {
    await pipeline(body, res);
  } catch (err) {
    // A listener closing the player is not a failure of ours; anything from the source is.
    if (failure === null) return;
    res.destroy();
    await hooks.onFail(failure, true);
    throw err;
  } finally {
    await source.return?.();
  }
}

export class AudioSender {
  readonly #transcodes = new Semaphore(MAX_TRANSCODES);

  async send(
    req: Request,
    res: Response,
    reader: VaultReader,
    format: AudioFormat,
    name: string,
    hooks: DeliveryHooks,
  ): Promise<void> {
    res.setHeader('Content-Type', CONTENT_TYPE[format]);
    res.setHeader('Content-Disposition', `inline; filename="${name}.${format === 'opus' ? 'ogg' : format}"`);
    if (format === 'wav') {
      res.setHeader('Accept-Ranges', 'bytes');
      const range = parseRange(req.get('range'), reader.size);
      const r = range ?? { start: 0, end: reader.size - 1 };
      await deliver(
        res,
        reader.createReadStream(r)[Symbol.asyncIterator]() as AsyncIterator<Buffer>,
        hooks,
        () => {
          if (range !== null) {
            res.status(206);
            res.setHeader('Content-Range', `bytes ${r.start}-${r.end}/${reader.size}`);
          }
          res.setHeader('Content-Length', String(r.end - r.start + 1));
        },
      );
      return;
    }
    if (this.#transcodes.held >= this.#transcodes.limit && this.#transcodes.waiting >= MAX_TRANSCODES_WAITING)
      throw new HttpError(503, 'CV_ERR_API_TRANSCODER_BUSY', 'too many transcodes at once; try again', {
        'Retry-After': '5',
      });
    // The child dies with the connection, whatever the generator is doing at that moment.
    const gone = new AbortController();
    res.once('close', () => gone.abort());
    await this.#transcodes.run(() =>
      deliver(res, transcoded(reader, format, gone.signal), hooks, () => undefined),
    );
  }
}
