/**
 * Pseudonymised training copies (seed 004): a new recording made from an original, without its
 * direct identifiers and with DTMF digits masked in the audio.
 */
export { TRAINING_FLAG, isTrainingCopy } from './flag.js';
