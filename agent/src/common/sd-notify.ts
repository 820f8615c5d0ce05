/**
 * Readiness and watchdog for systemd (`Type=notify`, `WatchdogSec=`), sd_notify(3) protocol.
 *
 * - READY=1 once SIP, vault and index are up, so `systemctl start` returns only when the box
 *   records (and dependants ordered after it see a working recorder).
 * - WATCHDOG=1 every half of $WATCHDOG_USEC from a timer on the event loop: when the loop stalls
 *   (a hung disk read, an endless loop, SIGSTOP) the pings stop and systemd restarts the daemon.
 *   The timer is unref'd so it never keeps a stopping process alive.
 * - STOPPING=1 when shutdown begins, so systemd waits for recordings to be finalised instead of
 *   counting the stop as a crash.
 *
 * Outside systemd ($NOTIFY_SOCKET unset) every call is a no-op. A send that fails is logged
 * (rate: once per kind of failure) and never throws: a notification problem must not stop
 * recording.
 */
import { loadNativeAddon } from './native.js';
import type { Logger } from './log.js';

interface SdNotifyAddon {
  notify(socketPath: string, state: string): void;
}

export interface SystemdNotifier {
  /** True when $NOTIFY_SOCKET is set and the addon loaded. */
  readonly active: boolean;
  /** Watchdog ping interval in ms (half of $WATCHDOG_USEC), or null when no watchdog is asked for. */
  readonly watchdogIntervalMs: number | null;
  ready(status: string): void;
  status(text: string): void;
  stopping(): void;
  /** Stops the watchdog timer. Idempotent. */
  close(): void;
}

export interface NotifierEnv {
  readonly NOTIFY_SOCKET?: string | undefined;
  readonly WATCHDOG_USEC?: string | undefined;
  readonly WATCHDOG_PID?: string | undefined;
}

/** Half the watchdog timeout (systemd's own advice), or null when none applies to this process. */
export function watchdogIntervalMs(env: NotifierEnv, pid: number): number | null {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isSafeInteger(usec) || usec <= 0) return null;
  if (env.WATCHDOG_PID !== undefined && env.WATCHDOG_PID !== '' && Number(env.WATCHDOG_PID) !== pid) return null;
  return Math.max(1, Math.floor(usec / 2000));
}

/** Newlines would start a new KEY=VALUE line; the status text is for people, one line suffices. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').slice(0, 512);
}

export function createSystemdNotifier(
  log: Logger,
  env: NotifierEnv = process.env,
  pid: number = process.pid,
): SystemdNotifier {
  const socketPath = env.NOTIFY_SOCKET;
  const interval = watchdogIntervalMs(env, pid);
  if (socketPath === undefined || socketPath === '') {
    return { active: false, watchdogIntervalMs: null, ready() {}, status() {}, stopping() {}, close() {} };
  }
  const { addon, unavailable } = loadNativeAddon<SdNotifyAddon>('sd-notify');
  if (addon === null) {
    // systemd will time the start out; say why in the journal rather than hang silently.
    log.error({ reason: unavailable }, 'NOTIFY_SOCKET is set but the sd-notify helper is missing: readiness cannot be reported');
    return { active: false, watchdogIntervalMs: null, ready() {}, status() {}, stopping() {}, close() {} };
  }
  const failed = new Set<string>();
  const send = (state: string): void => {
    try {
      addon.notify(socketPath, state);
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'EIO';
      if (!failed.has(code)) {
        failed.add(code);
        log.warn({ code }, 'systemd notification failed');
      }
    }
  };
  let timer: NodeJS.Timeout | null = null;
  return {
    active: true,
    watchdogIntervalMs: interval,
    ready(status: string): void {
      send(`READY=1\nSTATUS=${oneLine(status)}\nMAINPID=${pid}`);
      if (interval !== null && timer === null) {
        send('WATCHDOG=1');
        timer = setInterval(() => send('WATCHDOG=1'), interval);
        timer.unref();
      }
    },
    status(text: string): void {
      send(`STATUS=${oneLine(text)}`);
    },
    stopping(): void {
      send('STOPPING=1\nSTATUS=finalising recordings in progress');
    },
    close(): void {
      if (timer !== null) clearInterval(timer);
      timer = null;
    },
  };
}
