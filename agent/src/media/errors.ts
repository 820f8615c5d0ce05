/**
 * Every error the media stage throws. Bad packets are never thrown: they are counted in the
 * stream's drop counters (STYLE rule 17). Errors here are for the owner's calls: a bad port
 * range, an exhausted range, a socket that will not bind, a verb after close().
 */
import { CallvaultError, UserError, type ErrorContext } from '../common/index.js';

type Opts = { cause?: unknown; context?: ErrorContext };

/** The configured port range or a stream option is unusable (config can be fixed: exit 1). */
export class MediaConfigError extends UserError {
  constructor(message: string, opts: Opts = {}) {
    super('CV_ERR_MEDIA_CONFIG', message, opts);
  }
}
/** Every even/odd pair of the range is in use or refused by the OS. */
export class MediaPortsExhaustedError extends CallvaultError {
  constructor(message: string, opts: Opts = {}) {
    super('CV_ERR_MEDIA_PORTS_EXHAUSTED', message, opts);
  }
}
/** A socket failed for a reason other than "port in use" (permissions, bad address). */
export class MediaBindError extends CallvaultError {
  constructor(message: string, opts: Opts = {}) {
    super('CV_ERR_MEDIA_BIND', message, opts);
  }
}
/** A verb was called on a receiver or stream after close()/release(). */
export class MediaClosedError extends CallvaultError {
  constructor(message: string, opts: Opts = {}) {
    super('CV_ERR_MEDIA_CLOSED', message, opts);
  }
}
/** release() got a stream this receiver did not allocate. */
export class MediaUnknownStreamError extends CallvaultError {
  constructor(message: string, opts: Opts = {}) {
    super('CV_ERR_MEDIA_UNKNOWN_STREAM', message, opts);
  }
}
