/** /api/v1 routes past login: recordings, audio, audit. Each handler audits first. */
import express, { type Router } from 'express';
import { openCheckedReader, type Storage } from '../storage/index.js';
import type { Logger } from '../common/index.js';
import type { SearchQuery } from '../index/index.js';
import type { SessionUser } from './sessions.js';
import { accessReason, assertMayRead, requireRole, userOf, visibility, type Visibility } from './access.js';
import { visiblePage } from './visible-search.js';
import { AudioSender, audioFormat, parseRange } from './audio.js';
import { HttpError } from './http-errors.js';
import { handle } from './handle.js';
import { recordingView } from './views.js';

function text(q: unknown): string | undefined {
  return typeof q === 'string' && q.length > 0 ? q : undefined;
}

/** A numeric query parameter; anything else is passed on as NaN for the index to refuse (400). */
function num(q: unknown): number | undefined {
  const t = text(q);
  return t === undefined ? undefined : /^\d+(\.\d+)?$/.test(t) ? Number(t) : NaN;
}

export function recordingRoutes(storage: Storage, log: Logger): Router {
  const r = express.Router();
  const audio = new AudioSender();
  const audit = storage.index;
  // Asked afresh on every request: a revoked or expired grant stops working at the next one.
  const visibleTo = (user: SessionUser): Promise<Visibility> =>
    visibility(user, storage.config.policy, (username) => storage.index.listGrants({ username }));

  r.get(
    '/recordings',
    handle(async (req, res) => {
      const user = userOf(req);
      const vis = await visibleTo(user);
      const scope = vis.agent;
      const limitRaw = text(req.query['limit']);
      const query: SearchQuery = {
        from: text(req.query['from']),
        to: text(req.query['to']),
        number: text(req.query['number']),
        service: text(req.query['service']),
        agent: scope ?? text(req.query['agent']),
        direction: text(req.query['direction']) as SearchQuery['direction'],
        caseId: text(req.query['caseId']),
        minMos: num(req.query['minMos']),
        maxMos: num(req.query['maxMos']),
        flag: text(req.query['flag']),
        cursor: text(req.query['cursor']),
        limit: limitRaw === undefined ? 100 : Number(limitRaw),
      };
      if (scope !== null && text(req.query['agent']) !== undefined && text(req.query['agent']) !== scope) {
        res.json({ items: [], nextCursor: null });
        return;
      }
      const page = await visiblePage(storage.index, query, vis);
      // Case ids are personal too: a search by one is on record (the id itself is not).
      const byCase = query.caseId !== undefined;
      if (query.number !== undefined || byCase || (scope === null && query.agent !== undefined)) {
        await audit.appendAudit({
          actor: user.username,
          role: user.role,
          action: 'search',
          from: req.ip ?? null,
          detail: {
            results: page.items.length,
            ...(query.number ? { number: query.number } : {}),
            ...(byCase ? { byCase: true } : {}),
          },
        });
      }
      res.json({ items: page.items.map(recordingView), nextCursor: page.nextCursor });
    }),
  );

  r.get(
    '/recordings/:id',
    handle(async (req, res) => {
      const vis = await visibleTo(userOf(req));
      const record = assertMayRead(vis, await storage.index.getRecording(String(req.params['id'])));
      res.json(recordingView(record));
    }),
  );

  r.get(
    '/recordings/:id/audio',
    handle(async (req, res) => {
      const user = userOf(req);
      const vis = await visibleTo(user);
      const record = assertMayRead(vis, await storage.index.getRecording(String(req.params['id'])));
      const format = audioFormat(req);
      const reason = accessReason(req);
      if (record.restricted)
        throw new HttpError(423, 'CV_ERR_API_RESTRICTED', 'processing of this recording is restricted');
      const reader = await openCheckedReader(storage, record.id, 'audio', {
        name: user.username,
        role: user.role,
        from: req.ip ?? '',
      });
      if (req.method === 'HEAD') {
        // Headers only: no audio leaves, so no listen is recorded.
        res.setHeader(
          'Content-Type',
          format === 'wav' ? 'audio/wav' : format === 'mp3' ? 'audio/mpeg' : 'audio/ogg',
        );
        if (format === 'wav') {
          res.setHeader('Accept-Ranges', 'bytes');
          res.setHeader('Content-Length', String(reader.size));
        }
        res.end();
        return;
      }
      // Bounded and parsed: never the raw header (any length, any bytes) in the audit log.
      const range = format === 'wav' ? parseRange(req.get('range'), reader.size) : null;
      const detail = { format, range: range === null ? null : `${range.start}-${range.end}` };
      const entry = {
        actor: user.username,
        role: user.role,
        recordingId: record.id,
        reason,
        from: req.ip ?? null,
      };
      await audio.send(req, res, reader, format, record.id, {
        onStart: async () => {
          // Written before the first byte leaves: an interrupted listen is still on record.
          await audit.appendAudit({ ...entry, action: 'listen', detail });
          storage.counts.audioAccess(user.role);
        },
        onFail: async (err, started) => {
          const code = (err as { code?: unknown }).code;
          log.warn({ recordingId: record.id, format, started, code }, 'audio delivery failed');
          await audit.appendAudit({
            ...entry,
            action: 'listen_failed',
            detail: { ...detail, started, code: typeof code === 'string' ? code : 'unknown' },
          });
        },
      });
    }),
  );

  r.get(
    '/audit',
    handle(async (req, res) => {
      requireRole(userOf(req), ['admin', 'dpo'], 'read the audit log');
      const limitRaw = text(req.query['limit']);
      const entries = await storage.index.listAudit({
        since: text(req.query['since']),
        limit: limitRaw === undefined ? 1000 : Number(limitRaw),
      });
      res.json({ entries });
    }),
  );

  return r;
}
