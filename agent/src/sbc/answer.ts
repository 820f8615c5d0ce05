/** What an SBC reads from the recorder's SDP answer: where to send each stream's RTP. */

export interface AnsweredStream {
  /** m-line index, in offer order. */
  readonly index: number;
  readonly label: string | null;
  /** 0: the stream was rejected. */
  readonly port: number;
  readonly direction: string | null;
  readonly payloadTypes: readonly number[];
}

export interface Answer {
  readonly host: string;
  readonly streams: readonly AnsweredStream[];
}

/** `fallbackHost` is used when the answer has no c= line (a malformed answer, tested as such). */
export function parseAnswer(sdp: string, fallbackHost = '127.0.0.1'): Answer {
  const sections = sdp.split(/\r?\n(?=m=)/);
  const host = /^c=IN IP[46] (\S+)/m.exec(sdp)?.[1] ?? fallbackHost;
  const streams = sections.slice(1).map((sec, index) => {
    const m = /^m=\S+ (\d+) \S+ ?(.*)$/m.exec(sec);
    return {
      index,
      label: /^a=label:(\S+)/m.exec(sec)?.[1] ?? null,
      port: Number(m?.[1] ?? 0),
      direction: /^a=(sendonly|recvonly|sendrecv|inactive)\s*$/m.exec(sec)?.[1] ?? null,
      payloadTypes: (m?.[2] ?? '').split(/\s+/).filter(Boolean).map(Number),
    };
  });
  return { host, streams };
}
