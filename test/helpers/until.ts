/** The one pause of the tests and benches, for pacing (waits for a condition use `until`). */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until pred() holds, polling every 2 ms, and fails naming `what` after timeoutMs: the
 * bounded wait for an event the tests cannot subscribe to (a counter reaching a value).
 */
export async function until(pred: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

/** `until` for a predicate that must await (a CLI call, a request), polled every 100 ms. */
export async function untilAsync(
  pred: () => Promise<boolean>,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
