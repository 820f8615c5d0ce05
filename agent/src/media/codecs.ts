/**
 * The payload formats the media stage understands, and one decoder per (stream, payload type),
 * created lazily on first use (the rtpengine recording-daemon model). Opus is its own issue.
 */
import { decodeAlaw, decodeUlaw } from './g711.js';
import { createG722State, decodeG722 } from './g722.js';

export type CodecName = 'PCMU' | 'PCMA' | 'G722' | 'CN' | 'telephone-event';

export interface CodecInfo {
  readonly name: CodecName;
  readonly kind: 'audio' | 'comfort-noise' | 'event';
  /** RTP timestamp rate (Hz). G.722 keeps 8000 for historic reasons (RFC 3551 §4.5.2). */
  readonly clockRate: number;
  /** Decoded PCM rate (Hz). */
  readonly sampleRate: number;
  /** PCM samples per payload byte (audio only). */
  readonly samplesPerByte: number;
  /** E-model equipment impairment Ie and packet-loss robustness Bpl (G.113 App. I, no PLC). */
  readonly ie: number;
  readonly bpl: number;
}

export const CODECS: Readonly<Record<CodecName, CodecInfo>> = Object.freeze({
  PCMU: {
    name: 'PCMU',
    kind: 'audio',
    clockRate: 8000,
    sampleRate: 8000,
    samplesPerByte: 1,
    ie: 0,
    bpl: 4.3,
  },
  PCMA: {
    name: 'PCMA',
    kind: 'audio',
    clockRate: 8000,
    sampleRate: 8000,
    samplesPerByte: 1,
    ie: 0,
    bpl: 4.3,
  },
  G722: {
    name: 'G722',
    kind: 'audio',
    clockRate: 8000,
    sampleRate: 16000,
    samplesPerByte: 2,
    ie: 0,
    bpl: 4.3,
  },
  CN: {
    name: 'CN',
    kind: 'comfort-noise',
    clockRate: 8000,
    sampleRate: 8000,
    samplesPerByte: 0,
    ie: 0,
    bpl: 4.3,
  },
  'telephone-event': {
    name: 'telephone-event',
    kind: 'event',
    clockRate: 8000,
    sampleRate: 8000,
    samplesPerByte: 0,
    ie: 0,
    bpl: 4.3,
  },
});

/** Static payload types of RFC 3551 plus the customary dynamic 101 for telephone-event. */
export const DEFAULT_PAYLOAD_TYPES: ReadonlyMap<number, CodecName> = new Map<number, CodecName>([
  [0, 'PCMU'],
  [8, 'PCMA'],
  [9, 'G722'],
  [13, 'CN'],
  [101, 'telephone-event'],
]);

/** Maps an SDP rtpmap encoding name (any case) to a codec we decode, else undefined. */
export function codecForEncodingName(name: string): CodecName | undefined {
  switch (name.toLowerCase()) {
    case 'pcmu':
      return 'PCMU';
    case 'pcma':
      return 'PCMA';
    case 'g722':
      return 'G722';
    case 'cn':
      return 'CN';
    case 'telephone-event':
      return 'telephone-event';
    default:
      return undefined;
  }
}

export interface AudioDecoder {
  readonly codec: CodecInfo;
  /** Decodes `len` payload bytes into `dst`; returns samples written (at codec.sampleRate). */
  decode(src: Uint8Array, off: number, len: number, dst: Int16Array, dstOff: number): number;
  /** Forgets inter-packet state (stateful codecs) after a source change. */
  reset(): void;
}

export function createAudioDecoder(name: CodecName): AudioDecoder | undefined {
  const codec = CODECS[name];
  switch (name) {
    case 'PCMU':
      return { codec, decode: decodeUlaw, reset: () => undefined };
    case 'PCMA':
      return { codec, decode: decodeAlaw, reset: () => undefined };
    case 'G722': {
      let state = createG722State();
      return {
        codec,
        decode: (src, off, len, dst, dstOff) => decodeG722(state, src, off, len, dst, dstOff),
        reset: () => {
          state = createG722State();
        },
      };
    }
    default:
      return undefined;
  }
}
