// SIP parse+serialize throughput on one core for a typical SIPREC INVITE (multipart SDP +
// rs-metadata, test/fixtures/sip/siprec/cisco-cube-invite.sip). Target: ≥ 50 000 msg/s.
// Run: npx tsx scripts/bench/sip-bench.ts   (prints JSON)
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseMessage, parseMultipart, serializeMessage } from '../../agent/src/sip/index.js';
import { fmt, row, type Benchmark } from './bench.js';

export interface SipBenchResult {
  readonly name: 'sip-parse-serialize';
  readonly fixtureBytes: number;
  readonly messages: number;
  readonly seconds: number;
  readonly messagesPerSecond: number;
  /** Parse + multipart split + serialize, what the SIPREC server does per INVITE. */
  readonly withMultipartPerSecond: number;
  readonly targetPerSecond: 50_000;
  readonly pass: boolean;
}

const FIXTURE = new URL('../../test/fixtures/sip/siprec/cisco-cube-invite.sip', import.meta.url);

function timeLoop(durationMs: number, fn: () => void): { n: number; seconds: number } {
  const start = process.hrtime.bigint();
  const limit = start + BigInt(durationMs) * 1_000_000n;
  let n = 0;
  let now = start;
  while (now < limit) {
    for (let i = 0; i < 500; i++) fn();
    n += 500;
    now = process.hrtime.bigint();
  }
  return { n, seconds: Number(now - start) / 1e9 };
}

export async function runSipBench(durationMs = 2000): Promise<SipBenchResult> {
  const raw = readFileSync(FIXTURE);
  let sink = 0;
  const plain = (): void => {
    sink += serializeMessage(parseMessage(raw)).length;
  };
  const withParts = (): void => {
    const m = parseMessage(raw);
    sink += parseMultipart(m.contentType ?? '', m.body).length + serializeMessage(m).length;
  };
  timeLoop(300, plain);
  const a = timeLoop(durationMs, plain);
  timeLoop(200, withParts);
  const b = timeLoop(durationMs, withParts);
  if (sink === 0) throw new Error('benchmark produced nothing');
  const messagesPerSecond = Math.round(a.n / a.seconds);
  return {
    name: 'sip-parse-serialize',
    fixtureBytes: raw.length,
    messages: a.n,
    seconds: Number(a.seconds.toFixed(3)),
    messagesPerSecond,
    withMultipartPerSecond: Math.round(b.n / b.seconds),
    targetPerSecond: 50_000,
    pass: messagesPerSecond >= 50_000,
  };
}

export const bench: Benchmark = {
  name: 'sip',
  async run() {
    const r = await runSipBench();
    return {
      rows: [
        row('SIPREC INVITE parse+serialize msg/s (one core)', fmt(r.messagesPerSecond, 0), {
          target: '≥ 50000',
        }),
        row('same, with multipart body split', fmt(r.withMultipartPerSecond, 0), {
          target: '≥ 50000',
        }),
      ],
    };
  },
};

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await runSipBench(), null, 2));
}
