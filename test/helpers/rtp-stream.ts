/**
 * An RtpStream on its own, for the tests of what counts its packets (the stream, media totals,
 * the media metrics): fixed ports, the default payload types, a clock stopped at the origin
 * unless a test gives its own; and µ-law packets fed to it directly.
 */
import { silentLogger } from '../../agent/src/common/index.js';
import { DEFAULT_PAYLOAD_TYPES, RtpStream, buildRtpPacket } from '../../agent/src/media/index.js';
import { createParseScratch, type RtpStreamOptions } from '../../agent/src/media/stream.js';

export const STREAM_ORIGIN_MS = 1_000_000;

/** Streams share one parse scratch, as the receiver's do. */
const SHARED_SCRATCH = createParseScratch();

export function testStream(over: Partial<RtpStreamOptions> = {}, scratch = SHARED_SCRATCH): RtpStream {
  return new RtpStream(
    {
      label: 's',
      rtpPort: 40000,
      rtcpPort: 40001,
      originMs: STREAM_ORIGIN_MS,
      payloadTypes: DEFAULT_PAYLOAD_TYPES,
      clock: () => STREAM_ORIGIN_MS,
      log: silentLogger(),
      ...over,
    },
    scratch,
  );
}

/**
 * Feeds `count` µ-law packets (silence) with sequence numbers from `seq0`, each arriving at its
 * own time (20 ms apart from the origin), skipping the sequence numbers in `skip`.
 */
export function feedUlaw(
  s: RtpStream,
  o: { ssrc: number; seq0: number; count: number; skip?: ReadonlySet<number> },
): void {
  for (let n = o.seq0; n < o.seq0 + o.count; n++) {
    if (o.skip?.has(n) === true) continue;
    const p = buildRtpPacket({
      payloadType: 0,
      seq: n,
      timestamp: n * 160,
      ssrc: o.ssrc,
      payload: new Uint8Array(160),
    });
    s.ingestRtp(p, '127.0.0.1', 5000, 0, p.length, STREAM_ORIGIN_MS + n * 20);
  }
}
