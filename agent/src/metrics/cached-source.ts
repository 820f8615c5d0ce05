/**
 * A value that is expensive to compute (walking every recording file for the storage gauges)
 * served to frequent readers (every Prometheus scrape, every 15 s or faster). At most one
 * computation runs at a time, and a scrape waits for one only when there is no value yet;
 * otherwise it gets the last value and, when that is older than maxAgeMs, starts a refresh.
 */
export function cachedSource<T>(
  compute: () => Promise<T>,
  maxAgeMs: number,
  clock = Date.now,
): () => Promise<T> {
  let value: { v: T; at: number } | null = null;
  let running: Promise<T> | null = null;
  const refresh = (): Promise<T> => {
    running ??= compute()
      .then((v) => {
        value = { v, at: clock() };
        return v;
      })
      .finally(() => {
        running = null;
      });
    return running;
  };
  return async () => {
    if (value === null) return refresh();
    // A failed background refresh is retried at the next read; the last value stays served.
    if (clock() - value.at >= maxAgeMs) refresh().catch(() => undefined);
    return value.v;
  };
}
