/**
 * Pseudonymised training copies (seed 004): a new recording made from an original, without its
 * direct identifiers and with DTMF digits masked in the audio.
 */
export { TRAINING_FLAG, isTrainingCopy } from './flag.js';
export { makeTrainingCopy, copyMetadata, MAX_COPY_SOURCE_BYTES, type TrainingCopyResult } from './copy.js';
export { detectDtmf, blockDigit, DTMF_LOW_HZ, DTMF_HIGH_HZ, type DtmfSpan } from './dtmf-detect.js';
export { maskDtmf, MASK_MARGIN_S, type MaskResult } from './dtmf-mask.js';
export { wavToChannels, channelsToWav, type PcmChannels } from './pcm.js';
export * from './errors.js';
