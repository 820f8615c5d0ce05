/**
 * Log priorities for journald. journald reads a syslog priority only from a `<N>` prefix at the
 * start of a plain-text line (SyslogLevelPrefix=yes, the default), strips it and files the rest
 * as MESSAGE with PRIORITY=N: so `journalctl -p err` finds our errors and the JSON stays intact.
 * systemd sets $JOURNAL_STREAM to `<dev>:<inode>` of the journal stream it connects; lines are
 * prefixed only when stdout is that very stream (a child that inherited the variable but writes
 * to a pipe, a terminal or a test harness sees plain JSON lines), as systemd.exec(5) advises.
 */
import { fstatSync } from 'node:fs';
import { pino, type DestinationStream } from 'pino';

/** pino's numeric level → syslog priority (fatal → crit, error → err, …, debug/trace → debug). */
export function syslogPriority(pinoLevel: number): number {
  if (pinoLevel >= 60) return 2;
  if (pinoLevel >= 50) return 3;
  if (pinoLevel >= 40) return 4;
  if (pinoLevel >= 30) return 6;
  return 7;
}

const LEVEL_RE = /^\{"level":(\d+)/;

/** One JSON line with its `<N>` prefix (pino writes `level` first; a line without it gets info). */
export function journaldLine(line: string): string {
  const m = LEVEL_RE.exec(line);
  return `<${syslogPriority(m?.[1] === undefined ? 30 : Number(m[1]))}>${line}`;
}

/** True when file descriptor `fd` is the journal stream $JOURNAL_STREAM names. */
export function isJournalStream(fd: number, env: NodeJS.ProcessEnv = process.env): boolean {
  const stream = env['JOURNAL_STREAM'];
  if (stream === undefined || stream === '') return false;
  try {
    const st = fstatSync(fd, { bigint: true });
    return stream === `${st.dev}:${st.ino}`;
  } catch {
    return false;
  }
}

/** stdout for the daemon's logger: prefixed under journald, plain elsewhere; synchronous either way. */
export function logDestination(env: NodeJS.ProcessEnv = process.env): DestinationStream {
  const out = pino.destination({ fd: 1, sync: true });
  if (!isJournalStream(1, env)) return out;
  return { write: (line: string) => out.write(journaldLine(line)) };
}
