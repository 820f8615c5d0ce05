// Micro (not in make bench): ns per parse+StreamTimeline.push and per readInto over many streams,
// the best of several rounds. Run: STREAMS=2500 npx tsx scripts/bench/push-micro.ts
import {
  DEFAULT_PAYLOAD_TYPES,
  StreamTimeline,
  buildRtpPacket,
  createRtpHeader,
  parseRtp,
} from '../../agent/src/media/index.js';

const STREAMS = Number(process.env.STREAMS ?? 2500);
const PKTS = 100;
const ROUNDS = 8;
const origin = 1_700_000_000_000;
const tls = Array.from(
  { length: STREAMS },
  () => new StreamTimeline({ originMs: origin, payloadTypes: DEFAULT_PAYLOAD_TYPES }),
);
const built = Array.from({ length: ROUNDS * PKTS }, (_, k) =>
  buildRtpPacket({
    payloadType: 0,
    seq: k & 0xffff,
    timestamp: k * 160,
    ssrc: 7,
    payload: new Uint8Array(160).fill(k & 255),
  }),
);
// Packets back to back in one word-aligned buffer, as the native reader's batch holds them.
const STRIDE = (built[0]!.length + 3) & ~3;
const batch = Buffer.alloc(STRIDE * built.length);
const pk = built.map((b, k) => {
  batch.set(b, k * STRIDE);
  return batch.subarray(k * STRIDE, k * STRIDE + b.length);
});
const h = createRtpHeader();
const dst = new Int16Array(4096);
let bestPush = Infinity;
let bestRead = Infinity;
for (let round = 0; round < ROUNDS; round++) {
  let pushNs = 0n;
  let readNs = 0n;
  for (let k = 0; k < PKTS; k++) {
    const n = round * PKTS + k;
    const t0 = process.hrtime.bigint();
    for (let s = 0; s < STREAMS; s++) {
      const b = pk[n]!;
      parseRtp(b, b.length, h);
      tls[s]!.push(h, b, origin + n * 20);
    }
    const t1 = process.hrtime.bigint();
    if (k % 10 === 9) for (let s = 0; s < STREAMS; s++) tls[s]!.readInto(origin + n * 20, dst);
    pushNs += t1 - t0;
    readNs += process.hrtime.bigint() - t1;
  }
  if (round > 0) {
    bestPush = Math.min(bestPush, Number(pushNs) / (STREAMS * PKTS));
    bestRead = Math.min(bestRead, Number(readNs) / (STREAMS * PKTS));
  }
}
console.log(
  JSON.stringify({
    streams: STREAMS,
    pushNsPerPacket: +bestPush.toFixed(1),
    readNsPerPacket: +bestRead.toFixed(1),
  }),
);
