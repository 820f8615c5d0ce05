/** /api/v1 routes past login: recordings, audio, audit, stats. Each handler audits first. */
import express, { type Request, type Response, type Router } from 'express';
import type { Storage } from '../storage/index.js';
import type { CallvaultMetrics } from '../metrics/index.js';
import type { RecordingRecord, SearchQuery } from '../index/index.js';
import { accessReason, assertMayRead, searchScope, userOf } from './access.js';
import { audioFormat, sendAudio } from './audio.js';
import { forbidden, HttpError, sendError } from './http-errors.js';

type Handler = (req: Request, res: Response) => Promise<void>;

/** express 5 forwards rejections, but one error shape for every route is simpler to read. */
const handle =
  (fn: Handler) =>
  (req: Request, res: Response): void => {
    fn(req, res).catch((err: unknown) => sendError(res, err));
  };

function text(q: unknown): string | undefined {
  return typeof q === 'string' && q.length > 0 ? q : undefined;
}

/** What a listener sees of a recording: no signature internals, numbers only when stored. */
function view(r: RecordingRecord): Record<string, unknown> {
  return {
    id: r.id,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    durationMs: r.durationMs,
    direction: r.direction,
    service: r.service,
    number: r.number,
    numberWithheld: r.numberWithheld,
    agent: r.agent,
    agentName: r.agentName,
    participants: r.participants,
    caseId: r.caseId,
    policy: r.policy,
    expiresAt: r.expiresAt,
    state: r.state,
    flags: r.flags,
    codec: r.codec,
    format: r.format,
    consent: r.consent,
    consentEvidence: r.consentEvidence ?? null,
    caseClosedAt: r.caseClosedAt ?? null,
    legalHold: r.legalHold,
    restricted: r.restricted,
    digest: r.digest,
    stats: r.stats,
  };
}

export function recordingRoutes(storage: Storage, metrics: CallvaultMetrics): Router {
  const r = express.Router();
  const policy = storage.config.policy;
  const audit = storage.index;

  r.get(
    '/recordings',
    handle(async (req, res) => {
      const user = userOf(req);
      const scope = searchScope(user, policy);
      const limitRaw = text(req.query['limit']);
      const query: SearchQuery = {
        from: text(req.query['from']),
        to: text(req.query['to']),
        number: text(req.query['number']),
        service: text(req.query['service']),
        agent: scope ?? text(req.query['agent']),
        direction: text(req.query['direction']) as SearchQuery['direction'],
        cursor: text(req.query['cursor']),
        limit: limitRaw === undefined ? 100 : Number(limitRaw),
      };
      if (scope !== null && text(req.query['agent']) !== undefined && text(req.query['agent']) !== scope) {
        res.json({ items: [], nextCursor: null });
        return;
      }
      const page = await storage.index.search(query);
      if (query.number !== undefined || (scope === null && query.agent !== undefined)) {
        await audit.appendAudit({
          actor: user.username,
          role: user.role,
          action: 'search',
          from: req.ip ?? null,
          detail: { results: page.items.length, ...(query.number ? { number: query.number } : {}) },
        });
      }
      res.json({ items: page.items.map(view), nextCursor: page.nextCursor });
    }),
  );

  r.get(
    '/recordings/:id',
    handle(async (req, res) => {
      const record = assertMayRead(
        userOf(req),
        policy,
        await storage.index.getRecording(String(req.params['id'])),
      );
      res.json(view(record));
    }),
  );

  r.get(
    '/recordings/:id/audio',
    handle(async (req, res) => {
      const user = userOf(req);
      const record = assertMayRead(user, policy, await storage.index.getRecording(String(req.params['id'])));
      const format = audioFormat(req);
      const reason = accessReason(req);
      if (record.restricted)
        throw new HttpError(423, 'CV_ERR_API_RESTRICTED', 'processing of this recording is restricted');
      // The audit entry is written before the first byte leaves: an interrupted listen is still on record.
      await audit.appendAudit({
        actor: user.username,
        role: user.role,
        action: 'listen',
        recordingId: record.id,
        reason,
        from: req.ip ?? null,
        detail: { format, range: req.get('range') ?? null },
      });
      metrics.audioAccesses.inc({ role: user.role });
      const reader = await storage.vault.openReader(record.id);
      await sendAudio(req, res, reader, format, record.id);
    }),
  );

  r.get(
    '/audit',
    handle(async (req, res) => {
      const user = userOf(req);
      if (user.role !== 'admin' && user.role !== 'dpo')
        throw forbidden('only admin and dpo read the audit log');
      const limitRaw = text(req.query['limit']);
      const entries = await storage.index.listAudit({
        since: text(req.query['since']),
        limit: limitRaw === undefined ? 1000 : Number(limitRaw),
      });
      res.json({ entries });
    }),
  );

  r.get(
    '/stats',
    handle(async (req, res) => {
      // Aggregates only (seed 001: reports that cannot identify individual customers).
      const query: SearchQuery = { from: text(req.query['from']), to: text(req.query['to']), limit: 1000 };
      const byService: Record<string, number> = {};
      const byDirection: Record<string, number> = {};
      let calls = 0;
      let totalMs = 0;
      let cursor: string | undefined;
      for (let pages = 0; pages < 100; pages++) {
        const page = await storage.index.search({ ...query, cursor });
        for (const rec of page.items) {
          calls++;
          totalMs += rec.durationMs;
          byService[rec.service ?? '(none)'] = (byService[rec.service ?? '(none)'] ?? 0) + 1;
          byDirection[rec.direction] = (byDirection[rec.direction] ?? 0) + 1;
        }
        if (page.nextCursor === null) break;
        cursor = page.nextCursor;
      }
      res.json({
        calls,
        totalDurationMs: totalMs,
        meanDurationMs: calls === 0 ? 0 : Math.round(totalMs / calls),
        byService,
        byDirection,
        capped: calls >= 100_000,
      });
    }),
  );
  return r;
}
