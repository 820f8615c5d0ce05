// Micro: ns per StreamTimeline.push (+ parse) and per readInto over 2 500 streams (not in make bench).
import { DEFAULT_PAYLOAD_TYPES, StreamTimeline, buildRtpPacket, createRtpHeader, parseRtp } from '../../agent/src/media/index.js';
const STREAMS = Number(process.env.STREAMS ?? 2500), PKTS = 100;
const origin = 1_700_000_000_000;
const tls = Array.from({ length: STREAMS }, () => new StreamTimeline({ originMs: origin, payloadTypes: DEFAULT_PAYLOAD_TYPES }));
const pk = Array.from({ length: 3 * PKTS }, (_, k) => buildRtpPacket({ payloadType: 0, seq: k, timestamp: k * 160, ssrc: 7, payload: new Uint8Array(160).fill(k & 255) }));
const h = createRtpHeader();
const dst = new Int16Array(4096);
let pushNs = 0n, readNs = 0n;
for (let round = 0; round < 3; round++) {
  for (let k = 0; k < PKTS; k++) {
    const t0 = process.hrtime.bigint();
    for (let s = 0; s < STREAMS; s++) { const b = pk[round * PKTS + k]!; parseRtp(b, b.length, h); tls[s]!.push(h, b, origin + (round * PKTS + k) * 20); }
    const t1 = process.hrtime.bigint();
    if (k % 10 === 9) for (let s = 0; s < STREAMS; s++) tls[s]!.readInto(origin + (round * PKTS + k) * 20, dst);
    const t2 = process.hrtime.bigint();
    if (round > 0) { pushNs += t1 - t0; readNs += t2 - t1; }
  }
}
const n = 2 * STREAMS * PKTS;
console.log(JSON.stringify({ pushNsPerPacket: Number(pushNs) / n, readNsPerPacket: Number(readNs) / n }));
