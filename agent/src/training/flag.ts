/** How a training copy is told apart: a flag in its index record and container metadata. */
import type { RecordingRecord } from '../index/index.js';

export const TRAINING_FLAG = 'training';

export function isTrainingCopy(r: Pick<RecordingRecord, 'flags'>): boolean {
  return r.flags.includes(TRAINING_FLAG);
}
