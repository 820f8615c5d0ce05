/** Which of a call's streams feed which channel, and the codec label of the recording. */
import type { RtpStream } from '../media/index.js';

export interface RecordedStream {
  readonly label: string;
  readonly side: 'customer' | 'agent' | 'unknown';
  readonly codec: string;
  readonly stream: RtpStream;
}

export function codecOf(streams: readonly RecordedStream[]): string {
  return [...new Set(streams.map((s) => s.codec))].join('+');
}

/** Which streams feed a channel. Streams whose side is unknown fill an empty channel. */
export function channelStreams(streams: readonly RecordedStream[], side: 'customer' | 'agent'): RtpStream[] {
  const pick = (list: readonly RecordedStream[]): RtpStream[] => list.map((s) => s.stream);
  const own = streams.filter((s) => s.side === side);
  if (own.length > 0) return pick(own);
  // First unknown to the customer side; the second (or the only one, if the customer side
  // is taken) to the agent side.
  const unknown = streams.filter((s) => s.side === 'unknown');
  const other = streams.filter((s) => s.side === (side === 'customer' ? 'agent' : 'customer'));
  if (side === 'customer') return pick(unknown.slice(0, 1));
  return pick(other.length > 0 ? unknown.slice(0, 1) : unknown.slice(1, 2));
}
