/**
 * A page of search results the caller may see (access.ts Visibility). The index knows nothing
 * of roles or grants, so a filtered caller's page is assembled from index pages of the same size:
 * a page never holds more than `limit` items, and when the next index page would overflow it the
 * cursor points at that page again, so nothing is skipped or repeated. At most MAX_INDEX_PAGES
 * are read per request; a sparse result comes back short (even empty) with a cursor to go on.
 */
import type { RecordingIndex, SearchQuery, SearchResult } from '../index/index.js';
import type { Visibility } from './access.js';

const MAX_INDEX_PAGES = 20;

export async function visiblePage(
  index: RecordingIndex,
  query: SearchQuery,
  vis: Visibility,
): Promise<SearchResult> {
  if (!vis.filtered) return index.search(query);
  const limit = query.limit ?? 100;
  const items: SearchResult['items'] = [];
  let cursor = query.cursor;
  for (let pages = 0; pages < MAX_INDEX_PAGES; pages++) {
    const page = await index.search({ ...query, cursor, limit });
    const seen = page.items.filter((r) => vis.sees(r));
    if (items.length + seen.length > limit) return { items, nextCursor: cursor ?? null };
    items.push(...seen);
    if (page.nextCursor === null) return { items, nextCursor: null };
    cursor = page.nextCursor;
    if (items.length === limit) break;
  }
  return { items, nextCursor: cursor ?? null };
}
