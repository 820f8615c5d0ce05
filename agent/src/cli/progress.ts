/**
 * Progress of a long command on stderr: "verify: 120/4000 (3%)", at most one line a second
 * plus the last, so a log of a scripted run stays short. Shown when stderr is a terminal (the
 * line is rewritten in place) or with --progress (one line each, for logs); stdout stays the
 * command's output either way.
 */
export interface ProgressOptions {
  /** --progress given. */
  readonly forced: boolean;
  readonly isTTY: boolean;
  readonly write: (text: string) => void;
  readonly now?: () => number;
  readonly intervalMs?: number;
}

export type ProgressFn = (done: number, total: number) => void;

/** The reporter for `label`, or undefined when progress is not to be shown. */
export function progressReporter(label: string, o: ProgressOptions): ProgressFn | undefined {
  if (!o.forced && !o.isTTY) return undefined;
  const now = o.now ?? Date.now;
  const interval = o.intervalMs ?? 1000;
  let last = -Infinity;
  let finished = false;
  return (done, total) => {
    const end = done >= total;
    if (finished || (!end && now() - last < interval)) return;
    last = now();
    finished = end;
    const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
    const line = `${label}: ${done}/${total} (${pct}%)`;
    if (o.isTTY) o.write(`\r\x1b[K${line}${end ? '\n' : ''}`);
    else o.write(`${line}\n`);
  };
}

/** For commands: from their --progress option and the real stderr. */
export function stderrProgress(label: string, forced: boolean): ProgressFn | undefined {
  return progressReporter(label, {
    forced,
    isTTY: process.stderr.isTTY === true,
    write: (t) => void process.stderr.write(t),
  });
}
