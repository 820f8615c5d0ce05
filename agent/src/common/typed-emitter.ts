/**
 * A typed EventEmitter: `type XEvents = { name: [args] }`. Stage contracts are these maps.
 * safeEmit() calls listeners but never lets a listener's exception escape into the emitter's
 * own flow (an RTP handler or a writer's flush): it is logged and counted instead.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from './log.js';

export type EventMap = Record<string, unknown[]>;

export class TypedEmitter<E extends EventMap> {
  readonly #ee = new EventEmitter();
  #listenerErrors = 0;

  on<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#ee.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  once<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#ee.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#ee.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  get listenerErrors(): number {
    return this.#listenerErrors;
  }

  /** Emits to every listener; a throwing listener is logged and counted, the rest still run. */
  protected safeEmit<K extends keyof E & string>(log: Logger | undefined, event: K, ...args: E[K]): void {
    for (const listener of this.#ee.listeners(event)) {
      try {
        (listener as (...a: unknown[]) => void)(...args);
      } catch (err) {
        this.#listenerErrors++;
        log?.error({ err, event }, 'event listener failed');
      }
    }
  }
}
