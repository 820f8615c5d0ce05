/** The training stage's refusals: each a UserError (exit 1) with a stable code; api/ maps them. */
import { UserError } from '../common/index.js';

export const TRAINING_ERROR_CODES = {
  IN_PROGRESS: 'CV_ERR_TRAINING_IN_PROGRESS',
  NO_AUDIO: 'CV_ERR_TRAINING_NO_AUDIO',
  TOO_LONG: 'CV_ERR_TRAINING_TOO_LONG',
} as const;

/** A call still being recorded has no final audio to copy yet. */
export class TrainingInProgressError extends UserError {
  constructor(recordingId: string) {
    super(TRAINING_ERROR_CODES.IN_PROGRESS, `recording ${recordingId} is still being written`, {
      context: { recordingId },
    });
  }
}

/** An anonymised recording (its audio destroyed) has nothing to copy. */
export class TrainingNoAudioError extends UserError {
  constructor(recordingId: string) {
    super(TRAINING_ERROR_CODES.NO_AUDIO, `recording ${recordingId} has no audio left`, {
      context: { recordingId },
    });
  }
}

/** The copy is made in memory: a recording past the limit is refused, not half-copied. */
export class TrainingTooLongError extends UserError {
  constructor(recordingId: string, bytes: number, maxBytes: number) {
    super(
      TRAINING_ERROR_CODES.TOO_LONG,
      `recording ${recordingId} is ${bytes} bytes; copies are made of at most ${maxBytes}`,
      {
        context: { recordingId },
      },
    );
  }
}
