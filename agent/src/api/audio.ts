/**
 * Sending a recording's audio: decrypted on the fly from the vault (never to disk), as WAV with
 * HTTP Range, or transcoded by an ffmpeg child fed through pipes (mp3, opus).
 */
import { spawn } from 'node:child_process';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import type { VaultReader } from '../vault/index.js';
import { HttpError } from './http-errors.js';

export type AudioFormat = 'wav' | 'mp3' | 'opus';

const FFMPEG_ARGS: Readonly<Record<Exclude<AudioFormat, 'wav'>, readonly string[]>> = {
  mp3: ['-f', 'mp3', '-b:a', '64k'],
  opus: ['-c:a', 'libopus', '-b:a', '32k', '-f', 'ogg'],
};
const CONTENT_TYPE: Readonly<Record<AudioFormat, string>> = {
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
  opus: 'audio/ogg',
};

export function audioFormat(req: Request): AudioFormat {
  const f = req.query['format'] ?? 'wav';
  if (f === 'wav' || f === 'mp3' || f === 'opus') return f;
  throw new HttpError(400, 'CV_ERR_API_BAD_FORMAT', 'format must be wav, mp3 or opus');
}

/** One `bytes=a-b` range (the only form players send); null when there is none. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | null {
  if (header === undefined) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
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

export async function sendAudio(
  req: Request,
  res: Response,
  reader: VaultReader,
  format: AudioFormat,
  name: string,
): Promise<void> {
  res.setHeader('Content-Type', CONTENT_TYPE[format]);
  res.setHeader('Content-Disposition', `inline; filename="${name}.${format === 'opus' ? 'ogg' : format}"`);
  res.setHeader('Cache-Control', 'no-store');
  if (format === 'wav') {
    res.setHeader('Accept-Ranges', 'bytes');
    const range = parseRange(req.get('range'), reader.size);
    if (range === null) {
      res.setHeader('Content-Length', String(reader.size));
      await pipeline(reader.createReadStream(), res);
      return;
    }
    res.status(206);
    res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${reader.size}`);
    res.setHeader('Content-Length', String(range.end - range.start + 1));
    await pipeline(reader.createReadStream(range), res);
    return;
  }
  const ff = spawn(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-f', 'wav', '-i', 'pipe:0', ...FFMPEG_ARGS[format], 'pipe:1'],
    {
      stdio: ['pipe', 'pipe', 'ignore'],
    },
  );
  res.on('close', () => ff.kill('SIGKILL'));
  await Promise.all([
    pipeline(reader.createReadStream(), ff.stdin).catch(() => undefined),
    pipeline(ff.stdout, res),
  ]);
}
