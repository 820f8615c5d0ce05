/**
 * GET /stats: aggregates that cannot identify a customer or a call (seed 001). Supervisors,
 * admins and the DPO only; every query is audited. Three rules keep it non-identifying:
 * - time is bucketed in whole UTC days, and the window is widened to whole days, so no query
 *   can isolate one call by its minute;
 * - a cell (a day, a service, a direction) counting fewer than api.stats_min_group_size calls is
 *   suppressed (null), its duration too;
 * - when the suppressed cells of a dimension would add up to less than the minimum (so total
 *   minus the shown cells would reveal them), the next smallest cells are suppressed as well.
 */
import express, { type Router } from 'express';
import type { Storage } from '../storage/index.js';
import type { RecordingRecord } from '../index/index.js';
import { requireRole, userOf } from './access.js';
import { HttpError } from './http-errors.js';
import { handle } from './handle.js';

const DAY_MS = 86_400_000;
/** A year and a bit: the longest window one query may cover. */
const MAX_DAYS = 400;
const MAX_PAGES = 100;

interface Cell {
  calls: number | null;
  totalDurationMs: number | null;
}

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

/** Applies primary and complementary suppression to one dimension. */
export function suppress(
  counts: ReadonlyMap<string, { calls: number; ms: number }>,
  min: number,
): Record<string, Cell> {
  const order = [...counts].sort((a, b) => a[1].calls - b[1].calls);
  const hidden = new Set(order.filter(([, v]) => v.calls < min).map(([k]) => k));
  let hiddenSum = order.filter(([k]) => hidden.has(k)).reduce((n, [, v]) => n + v.calls, 0);
  for (const [k, v] of order) {
    if (hidden.size === 0 || hiddenSum >= min || hidden.size === order.length) break;
    if (hidden.has(k)) continue;
    hidden.add(k);
    hiddenSum += v.calls;
  }
  const out: Record<string, Cell> = {};
  for (const [k, v] of counts)
    out[k] = hidden.has(k)
      ? { calls: null, totalDurationMs: null }
      : { calls: v.calls, totalDurationMs: v.ms };
  return out;
}

function add(m: Map<string, { calls: number; ms: number }>, key: string, ms: number): void {
  const c = m.get(key) ?? { calls: 0, ms: 0 };
  m.set(key, { calls: c.calls + 1, ms: c.ms + ms });
}

export function statsRoutes(storage: Storage): Router {
  const r = express.Router();
  const min = storage.config.api.stats_min_group_size;
  r.get(
    '/stats',
    handle(async (req, res) => {
      const user = userOf(req);
      requireRole(user, ['supervisor', 'admin', 'dpo'], 'read statistics');
      const { fromMs, toMs } = dayWindow(req.query['from'], req.query['to'], Date.now());
      const window = { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString() };
      await storage.index.appendAudit({
        actor: user.username,
        role: user.role,
        action: 'stats',
        from: req.ip ?? null,
        detail: window,
      });
      const byDay = new Map<string, { calls: number; ms: number }>();
      const byService = new Map<string, { calls: number; ms: number }>();
      const byDirection = new Map<string, { calls: number; ms: number }>();
      let calls = 0;
      let totalMs = 0;
      let cursor: string | undefined;
      let capped = true;
      for (let pages = 0; pages < MAX_PAGES; pages++) {
        const page = await storage.index.search({ ...window, limit: 1000, cursor });
        for (const rec of page.items as RecordingRecord[]) {
          calls++;
          totalMs += rec.durationMs;
          add(byDay, rec.startedAt.slice(0, 10), rec.durationMs);
          add(byService, rec.service ?? '(none)', rec.durationMs);
          add(byDirection, rec.direction, rec.durationMs);
        }
        if (page.nextCursor === null) {
          capped = false;
          break;
        }
        cursor = page.nextCursor;
      }
      const shown = calls >= min;
      res.json({
        ...window,
        bucket: 'day',
        minGroupSize: min,
        calls: shown ? calls : null,
        totalDurationMs: shown ? totalMs : null,
        byDay: suppress(byDay, min),
        byService: suppress(byService, min),
        byDirection: suppress(byDirection, min),
        capped,
      });
    }),
  );
  return r;
}
