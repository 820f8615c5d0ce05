/**
 * Every error the media stage throws. Bad packets are never thrown: they are counted in the
 * stream's drop counters (STYLE rule 17). Errors here are for the owner's calls: a bad port
 * range, an exhausted range, a socket that will not bind, a verb after close().
 */
import { coded, CallvaultError, UserError } from '../common/index.js';

/** The configured port range or a stream option is unusable (config can be fixed: exit 1). */
export class MediaConfigError extends coded(UserError, 'CV_ERR_MEDIA_CONFIG') {}
/** Every even/odd pair of the range is in use or refused by the OS. */
export class MediaPortsExhaustedError extends coded(CallvaultError, 'CV_ERR_MEDIA_PORTS_EXHAUSTED') {}
/** A socket failed for a reason other than "port in use" (permissions, bad address). */
export class MediaBindError extends coded(CallvaultError, 'CV_ERR_MEDIA_BIND') {}
/** A verb was called on a receiver or stream after close()/release(). */
export class MediaClosedError extends coded(CallvaultError, 'CV_ERR_MEDIA_CLOSED') {}
/** release() got a stream this receiver did not allocate. */
export class MediaUnknownStreamError extends coded(CallvaultError, 'CV_ERR_MEDIA_UNKNOWN_STREAM') {}
