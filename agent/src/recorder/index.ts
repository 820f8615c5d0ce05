export {
  CallRecorder,
  type CallRecorderOptions,
  type CallRecorderEvents,
  type RecordedStream,
} from './call-recorder.js';
export { addClipped, interleaveInto } from './mixdown.js';
export { callMetadataFor } from './call-metadata.js';
export * from './errors.js';
export { MAX_LIVE_LISTENERS, type LiveCall, type LiveSink, type LiveEnd } from './live-tap.js';
