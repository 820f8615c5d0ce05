/**
 * Structured JSON-lines logging (pino) to stdout, read by journald. Components get a child
 * logger from their factory; nothing logs through a global. Phone numbers, names, keys and
 * passwords are redacted by path wherever they appear in a logged object.
 */
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Paths never written to the log, whatever component logs them. */
export const REDACTED_PATHS: readonly string[] = [
  'password',
  '*.password',
  'masterKey',
  '*.masterKey',
  'key',
  '*.key',
  'dataKey',
  '*.dataKey',
  'number',
  '*.number',
  'agentName',
  '*.agentName',
  'name',
  '*.name',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
];

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { svc: 'callvault' },
      redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ fd: 1, sync: true }),
  );
}

/** For tests and tools that must not print: a logger that drops everything. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
