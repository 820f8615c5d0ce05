/** Errors of the load benchmark harness; tests branch on `code`, never on message text. */
import { CallvaultError, type ErrorContext } from '../../../agent/src/common/index.js';

export class LoadBenchError extends CallvaultError {
  constructor(
    code: `CV_ERR_BENCH_${string}`,
    message: string,
    options: { cause?: unknown; context?: ErrorContext } = {},
  ) {
    super(code, message, options);
  }
}

/** A SIP response or ng reply could not be parsed. */
export const BENCH_BAD_MESSAGE = 'CV_ERR_BENCH_BAD_MESSAGE';
/** A child process (compiler, daemon, sender, receiver, rtpengine) failed or did not get ready in time. */
export const BENCH_CHILD_FAILED = 'CV_ERR_BENCH_CHILD_FAILED';
/** An ng control command got an error result or no reply in time. */
export const BENCH_NG_FAILED = 'CV_ERR_BENCH_NG_FAILED';
/** The client was used after close(). */
export const BENCH_CLOSED = 'CV_ERR_BENCH_CLOSED';
/** A phase of the benchmark overran its time limit (every loop and wait is bounded). */
export const BENCH_TIMEOUT = 'CV_ERR_BENCH_TIMEOUT';
