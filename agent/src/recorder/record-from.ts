/** policy.record_from: when the audio of a call starts counting as the recording. */
import type { Policy } from '../config/index.js';
import type { RecordedStream } from './channels.js';

/**
 * When the recording starts, by policy.record_from. 'answer' (seed 001: "recording begins when
 * the customer advisor answers") is the SIPREC model itself: the SBC opens the recording session
 * and sends media once the call is answered, so the audio starts with the first stream. A new
 * value of record_from fails to compile here until it is implemented.
 */
export function recordingStartMs(from: Policy['record_from'], streams: readonly RecordedStream[]): number {
  switch (from) {
    case 'answer':
      return Math.min(...streams.map((s) => s.stream.originMs));
  }
}
