/**
 * Calls in progress and live listening (ARCHITECTURE ✦ Admin API: `GET /calls`,
 * `GET /calls/{id}/listen?reason=`). The audio is the recorder's own PCM (recorder/live-tap.ts),
 * sent as an open-ended WAV stream (RIFF and data sizes 0xFFFFFFFF, as for a live source), so
 * the console, ffmpeg or any player can read it. Same rules as a recording's audio: who may see
 * the call, a reason, and the audit entry written before the first byte.
 */
import express, { type Response, type Router } from 'express';
import type { Logger } from '../common/index.js';
import type { LiveCall } from '../recorder/index.js';
import type { Storage } from '../storage/index.js';
import type { RecordingRecord } from '../index/index.js';
import type { SessionUser } from './sessions.js';
import { accessReason, userOf, visibility, type Visibility } from './access.js';
import { handle } from './handle.js';
import { HttpError } from './http-errors.js';
import { liveCallView } from './views.js';

export interface LiveCallSource {
  list(): readonly LiveCall[];
}

/**
 * Audio a slow listener may have waiting in the socket before passes are dropped: beyond it the
 * listener would fall behind the call, and the ≤ 2 s delay is the promise.
 */
export const MAX_LIVE_BACKLOG_MS = 1000;

/** A WAV header for a stream of unknown length. */
export function streamingWavHeader(channels: number, sampleRate: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(0xffffffff, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * channels * 2, 28);
  h.writeUInt16LE(channels * 2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(0xffffffff, 40);
  return h;
}

const notLive = (): HttpError => new HttpError(404, 'CV_ERR_API_NOT_FOUND', 'no such call in progress');

/** How often a live stream re-checks that its session is still live (logout, revocation, expiry). */
export const LIVE_SESSION_CHECK_MS = 1000;

/**
 * Subscribes the response; passes before `ready()` (audit written, header sent) are skipped.
 * A stream outlives its request's authentication check, so the session is checked again every
 * LIVE_SESSION_CHECK_MS: a logout or revocation ends the listen, as it ends the token.
 */
function stream(
  res: Response,
  call: LiveCall,
  ready: () => boolean,
  sessionAlive: () => boolean,
  onEnd: (reason: string) => void,
): (() => void) | null {
  const maxBacklogBytes = (call.sampleRate * call.channels * 2 * MAX_LIVE_BACKLOG_MS) / 1000;
  let dropped = 0;
  let checkedAt = Date.now();
  let unsubscribe: (() => void) | null = null;
  unsubscribe = call.listen({
    data(pcm) {
      if (!ready()) return;
      const now = Date.now();
      if (now - checkedAt >= LIVE_SESSION_CHECK_MS) {
        checkedAt = now;
        if (!sessionAlive()) {
          unsubscribe?.();
          onEnd('session_ended');
          res.destroy();
          return;
        }
      }
      if (res.writableLength > maxBacklogBytes) {
        dropped++;
        return;
      }
      // Int16Array is little-endian on every platform the appliance runs on (x86-64, arm64).
      res.write(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
    },
    end(reason) {
      onEnd(dropped > 0 ? `${reason}:dropped=${dropped}` : reason);
      if (ready()) res.end();
    },
  });
  return unsubscribe;
}

export function liveRoutes(
  storage: Storage,
  source: LiveCallSource | null,
  sessionAlive: (token: string) => boolean,
  log: Logger,
): Router {
  const r = express.Router();
  // The same rule as for recordings, asked afresh per request (grants, the running policy): a
  // live call is seen by who would see its recording. It has no flags yet (never a training copy).
  const visibleTo = (user: SessionUser): Promise<Visibility> =>
    visibility(user, storage.config.policy, (username) => storage.index.listGrants({ username }));
  const visible = (vis: Visibility): LiveCall[] =>
    (source?.list() ?? []).filter((c) =>
      vis.sees({ id: c.id, service: c.service, agent: c.agent, flags: [] } as unknown as RecordingRecord),
    );

  r.get(
    '/calls',
    handle(async (req, res) => {
      res.json({ items: visible(await visibleTo(userOf(req))).map(liveCallView) });
    }),
  );

  r.get(
    '/calls/:id/listen',
    handle(async (req, res) => {
      const user = userOf(req);
      const id = String(req.params['id']);
      const call = visible(await visibleTo(user)).find((c) => c.id === id);
      if (call === undefined) throw notLive();
      const reason = accessReason(req);
      let started = false;
      let ended = false;
      const token = (req as typeof req & { token: string }).token;
      const stop = stream(
        res,
        call,
        () => started,
        () => sessionAlive(token),
        (why) => {
          ended = true;
          log.info({ recordingId: id, why }, 'live listen ended');
        },
      );
      if (stop === null)
        throw new HttpError(
          409,
          'CV_ERR_API_NOT_LISTENABLE',
          'the call has ended, awaits the caller’s consent, or has too many listeners',
        );
      res.once('close', stop);
      try {
        // On record before the first byte; passes that come meanwhile are skipped.
        await storage.index.appendAudit({
          actor: user.username,
          role: user.role,
          action: 'listen',
          recordingId: id,
          reason,
          from: req.ip ?? null,
          detail: { live: true },
        });
      } catch (err) {
        stop();
        throw err;
      }
      storage.counts.audioAccess(user.role);
      if (ended) throw new HttpError(410, 'CV_ERR_API_CALL_ENDED', 'the call has ended');
      res.status(200);
      res.setHeader('Content-Type', 'audio/wav');
      res.write(streamingWavHeader(call.channels, call.sampleRate));
      started = true;
    }),
  );
  return r;
}
