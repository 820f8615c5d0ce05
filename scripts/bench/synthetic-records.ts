/**
 * Index records of made-up calls for the benchmarks that need a large index (index, DPO): over
 * the last 365 days before `today`, spread over the given numbers and agents, expiring over the
 * next 365 days. No audio: they stand for the recordings a real box has indexed.
 */
import type { RecordingRecord } from '../../agent/src/index/index.js';

const DAY_MS = 86_400_000;
const SERVICES = ['billing', 'support', 'waste-collection', 'rent', 'sales'];

export interface SyntheticOptions {
  readonly rnd: () => number;
  readonly numbers: readonly string[];
  readonly agents: readonly string[];
  readonly today: number;
  /** Id prefix, so two sets in one index never collide. */
  readonly prefix?: string;
}

export function syntheticRecords(o: SyntheticOptions): (i: number) => RecordingRecord {
  const { rnd, today } = o;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  return (i) => {
    const startMs = today - Math.floor(rnd() * 365 * DAY_MS);
    const number = pick(o.numbers);
    const agent = pick(o.agents);
    return {
      id: `${o.prefix ?? 'b'}${i.toString(36)}`,
      source: 'siprec',
      state: 'complete',
      startedAt: new Date(startMs).toISOString(),
      endedAt: new Date(startMs + 120_000).toISOString(),
      durationMs: 120_000,
      direction: rnd() < 0.7 ? 'inbound' : 'outbound',
      service: pick(SERVICES),
      number,
      numberWithheld: false,
      agent,
      agentName: `Agent ${agent}`,
      participants: [
        { role: 'caller', name: null, number, withheld: false, side: 'customer' },
        { role: 'callee', name: `Agent ${agent}`, number: agent, withheld: false, side: 'agent' },
      ],
      caseId: rnd() < 0.3 ? `CASE-${Math.floor(rnd() * 1e5)}` : null,
      policy: 'hrm',
      expiresAt: new Date(today + Math.floor(rnd() * 365 * DAY_MS)).toISOString(),
      flags: [],
      format: { encoding: 'pcm_s16le', channels: 2, sampleRate: 8000 },
      codec: 'PCMA',
      stats: null,
      digest: null,
      signature: null,
      legalHold: false,
      restricted: false,
      consent: 'not_required',
    };
  };
}
