/**
 * How callvaultctl prints results: tables for people, --json for scripts. Stored text (reasons,
 * user names, service names from call metadata) comes from people and SIP peers: every table
 * cell goes through escapeControl and every JSON through safeJson, so a newline, CR or ESC in a
 * field shows as `\x0a`, `\x0d`, `\x1b` and can neither forge a row nor drive the terminal.
 */
import { escapeControl, safeJson } from '../common/index.js';

export interface Printer {
  out(text: string): void;
  err(text: string): void;
}

export const stdio: Printer = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

export function table(raw: readonly (readonly string[])[]): string {
  if (raw.length === 0) return '';
  const rows = raw.map((r) => r.map((cell) => escapeControl(cell)));
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** Indented JSON whose every control character is escaped (safeJson). */
export function json(value: unknown): string {
  return safeJson(value, 2);
}

/** One line of free text from stored data, made inert (escapeControl). */
export function inert(text: string): string {
  return escapeControl(text);
}
