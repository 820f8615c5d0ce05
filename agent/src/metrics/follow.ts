import type { Counter } from 'prom-client';

/**
 * The stages keep running totals in plain objects; a Counter here follows one by adding the
 * difference at scrape time, so the exposition has real counters (`_total`, monotonic). A total
 * that goes down (RFC 3550 loss shrinks when a late packet fills a gap) is held, not subtracted.
 * `seen` must be the caller's own map, one per counter.
 */
export function follow(
  counter: Counter<string>,
  seen: Map<string, number>,
  labels: Record<string, string>,
  total: number,
): void {
  const key = JSON.stringify(labels);
  const prev = seen.get(key);
  // A series shows from its first scrape (at 0), so rate() and alert rules see it exist.
  if (prev === undefined) counter.inc(labels, 0);
  if (total > (prev ?? 0)) {
    counter.inc(labels, total - (prev ?? 0));
    seen.set(key, total);
  } else if (prev === undefined) seen.set(key, 0);
}
