/**
 * The quality fields of a recording in the index: their check on write, and the search filters
 * over them (minMos, maxMos, flag). They are plain (no personal data) and checked as residual
 * filters on the records a query's driving range yields (no secondary index: quality searches
 * come with a time window, and the window's range is what bounds the walk).
 */
import { IndexBadQueryError, IndexBadRecordError } from './errors.js';
import type { CallQuality, RecordingRecord, SearchQuery } from './types.js';

const MAX_FLAG = 64;

function qualityNumber(
  rec: RecordingRecord,
  v: unknown,
  field: keyof CallQuality,
  max: number,
): number | null {
  if (v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > max)
    throw new IndexBadRecordError('quality', `${field} must be a number 0..${max} or null`, rec.id);
  return v;
}

/** The canonical quality of a record (null when absent: imports, records from before it). */
export function canonicalQuality(rec: RecordingRecord): CallQuality | null {
  const q = rec.quality;
  if (q === undefined || q === null) return null;
  if (typeof q !== 'object') throw new IndexBadRecordError('quality', 'must be an object or null', rec.id);
  return {
    mos: qualityNumber(rec, q.mos, 'mos', 5),
    lossPct: qualityNumber(rec, q.lossPct, 'lossPct', 100),
    jitterMs: qualityNumber(rec, q.jitterMs, 'jitterMs', 600_000),
  };
}

export interface QualityFilter {
  readonly minMos: number | null;
  readonly maxMos: number | null;
  readonly flag: string | null;
}

function mosParam(q: SearchQuery, param: 'minMos' | 'maxMos'): number | null {
  const v = q[param];
  if (v === undefined) return null;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 1 || v > 5)
    throw new IndexBadQueryError(param, 'must be a number 1-5');
  return v;
}

export function qualityFilter(q: SearchQuery): QualityFilter {
  const minMos = mosParam(q, 'minMos');
  const maxMos = mosParam(q, 'maxMos');
  if (minMos !== null && maxMos !== null && minMos > maxMos)
    throw new IndexBadQueryError('minMos', 'must not be above maxMos');
  let flag: string | null = null;
  if (q.flag !== undefined) {
    if (typeof q.flag !== 'string' || !/^[a-z_]{1,64}$/.test(q.flag) || q.flag.length > MAX_FLAG)
      throw new IndexBadQueryError('flag', 'must be a flag name such as no_media or one_way');
    flag = q.flag;
  }
  return { minMos, maxMos, flag };
}

export function hasQualityFilter(f: QualityFilter): boolean {
  return f.minMos !== null || f.maxMos !== null || f.flag !== null;
}

/** The stored record's quality and flags against the filter. */
export function qualityMatches(
  quality: CallQuality | null | undefined,
  flags: readonly string[],
  f: QualityFilter,
): boolean {
  if (f.flag !== null && !flags.includes(f.flag)) return false;
  if (f.minMos === null && f.maxMos === null) return true;
  const mos = quality?.mos ?? null;
  if (mos === null) return false;
  if (f.minMos !== null && mos < f.minMos) return false;
  return f.maxMos === null || mos <= f.maxMos;
}
