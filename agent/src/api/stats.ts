/**
 * GET /stats: aggregates that cannot identify a customer or a call (seed 001). Supervisors,
 * admins and the DPO only; every query is audited. The rules that keep it non-identifying:
 * - time is bucketed in whole UTC days (`bucket=day`, the only bucket: a finer one is refused),
 *   and the window is widened to whole days, so no query can isolate one call by its minute;
 * - a cell (a day, a service, a direction, an agent group) counting fewer than
 *   api.stats_min_group_size calls is left out, with its duration and quality;
 * - when the left-out cells of a dimension would add up to less than the minimum (so total
 *   minus the shown cells would reveal them), the next smallest cells are left out as well;
 * - agents appear only as their configured group (api.stats_agent_groups), numbers never.
 * The aggregation itself is stats-aggregate.ts, over the index's maintained counters.
 */
import express, { type Router } from 'express';
import type { Storage } from '../storage/index.js';
import { requireRole, userOf } from './access.js';
import { HttpError } from './http-errors.js';
import { handle } from './handle.js';
import { agentGrouper, StatsAccumulator } from './stats-aggregate.js';

export { suppress } from './stats-aggregate.js';

const DAY_MS = 86_400_000;
/** A year and a bit: the longest window one query may cover. */
const MAX_DAYS = 400;

function dayWindow(fromRaw: unknown, toRaw: unknown, nowMs: number): { fromMs: number; toMs: number } {
  const parse = (v: unknown, name: string, fallback: number): number => {
    if (v === undefined) return fallback;
    const ms = typeof v === 'string' ? Date.parse(v) : NaN;
    if (!Number.isFinite(ms))
      throw new HttpError(400, 'CV_ERR_API_BAD_QUERY', `${name} must be an ISO 8601 time`);
    return ms;
  };
  const toMs = Math.ceil(parse(toRaw, 'to', nowMs) / DAY_MS) * DAY_MS;
  const fromMs = Math.floor(parse(fromRaw, 'from', toMs - 30 * DAY_MS) / DAY_MS) * DAY_MS;
  if (fromMs >= toMs) throw new HttpError(400, 'CV_ERR_API_BAD_QUERY', 'from must be before to');
  if (toMs - fromMs > MAX_DAYS * DAY_MS)
    throw new HttpError(400, 'CV_ERR_API_BAD_QUERY', `the window may cover at most ${MAX_DAYS} days`);
  return { fromMs, toMs };
}

export function statsRoutes(storage: Storage): Router {
  const r = express.Router();
  const min = storage.config.api.stats_min_group_size;
  const groupOf = agentGrouper(storage.config.api.stats_agent_groups);
  r.get(
    '/stats',
    handle(async (req, res) => {
      const user = userOf(req);
      requireRole(user, ['supervisor', 'admin', 'dpo'], 'read statistics');
      const bucket = req.query['bucket'] ?? 'day';
      if (bucket !== 'day')
        throw new HttpError(
          400,
          'CV_ERR_API_BAD_QUERY',
          'bucket must be day: finer time buckets could single out a call',
        );
      const { fromMs, toMs } = dayWindow(req.query['from'], req.query['to'], Date.now());
      const window = { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString() };
      await storage.index.appendAudit({
        actor: user.username,
        role: user.role,
        action: 'stats',
        from: req.ip ?? null,
        detail: window,
      });
      // The index keeps per-day counters: the cost is days × cells, not recordings.
      const acc = new StatsAccumulator(groupOf);
      const cells = await storage.index.statsCounters(window.from.slice(0, 10), window.to.slice(0, 10));
      for (const cell of cells) acc.addCell(cell);
      const s = acc.result(min);
      res.json({
        ...window,
        bucket: 'day',
        minGroupSize: min,
        calls: s.calls,
        totalDurationMs: s.totalDurationMs,
        byDay: s.byDay.cells,
        byService: s.byService.cells,
        byDirection: s.byDirection.cells,
        byAgentGroup: s.byAgentGroup.cells,
        quality: s.quality,
        qualityByDay: s.qualityByDay.cells,
        suppressed: {
          byDay: s.byDay.suppressed,
          byService: s.byService.suppressed,
          byDirection: s.byDirection.suppressed,
          byAgentGroup: s.byAgentGroup.suppressed,
        },
        // Counters cover every recording: the answer is never cut short any more.
        capped: false,
      });
    }),
  );
  return r;
}
