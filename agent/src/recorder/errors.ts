import { CallvaultError } from '../common/index.js';

export const RECORDER_ERROR_CODES = {
  CLOSED: 'CV_ERR_RECORDER_CLOSED',
  NO_STREAMS: 'CV_ERR_RECORDER_NO_STREAMS',
} as const;

export class NoStreamsError extends CallvaultError {
  constructor(sessionId: string) {
    super(RECORDER_ERROR_CODES.NO_STREAMS, 'a call recording needs at least one stream', {
      context: { sessionId },
    });
  }
}
