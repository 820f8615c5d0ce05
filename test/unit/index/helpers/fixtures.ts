/** Shared test fixtures for the index tests: temp dirs, keys, a seeded record generator. */
import { generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../../agent/src/common/index.js';
import type { IndexOptions, RecordingIndex, RecordingRecord } from '../../../../agent/src/index/index.js';
import { mulberry32 } from '../../../helpers/prng.js';

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'cv-index-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A test's temp dir and the index it opened there (if any). */
export interface TestIndexDir {
  readonly dir: string;
  /** indexOptions(dir) with this test's keys, made on first use. */
  readonly opts: IndexOptions;
  /** Set by the test; closed after it. */
  index: RecordingIndex | undefined;
}

/** A fresh temp dir before each test of the calling describe(); its index closed and dir removed after. */
export function useTestIndex(): TestIndexDir {
  let tmp: ReturnType<typeof tempDir> | undefined;
  let opts: IndexOptions | undefined;
  const t = {
    dir: '',
    index: undefined as RecordingIndex | undefined,
    get opts(): IndexOptions {
      opts ??= indexOptions(t.dir);
      return opts;
    },
  };
  beforeEach(() => {
    tmp = tempDir();
    t.dir = tmp.dir;
    t.index = undefined;
    opts = undefined;
  });
  afterEach(async () => {
    await t.index?.close();
    tmp?.cleanup();
  });
  return t;
}

export interface TestKeys {
  blindIndexKey: Buffer;
  fieldKey: Buffer;
  sign: (data: Buffer) => Buffer;
  verifySignature: (data: Buffer, sig: Buffer) => boolean;
}

export function testKeys(): TestKeys {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    blindIndexKey: randomBytes(32),
    fieldKey: randomBytes(32),
    sign: (data) => sign(null, data, privateKey),
    verifySignature: (data, sig) => verify(null, data, publicKey, sig),
  };
}

export function indexOptions(
  dir: string,
  keys: TestKeys = testKeys(),
  extra: Partial<IndexOptions> = {},
): IndexOptions {
  return { dir: join(dir, 'index'), ...keys, log: silentLogger(), ...extra };
}

export const prng = mulberry32;

export function pick<T>(rnd: () => number, items: readonly T[]): T {
  return items[Math.floor(rnd() * items.length)] as T;
}

const SYLLABLES = [
  'ka',
  'lo',
  'ri',
  'ven',
  'tha',
  'mor',
  'qui',
  'sel',
  'dra',
  'nu',
  'bex',
  'zor',
  'fia',
  'gun',
  'hal',
  'wen',
];

function nameWord(rnd: () => number): string {
  let w = '';
  while (w.length < 9) w += pick(rnd, SYLLABLES);
  return w.charAt(0).toUpperCase() + w.slice(1);
}

export const SERVICES = ['billing', 'support', 'waste-collection', 'rent', 'sales'] as const;
export const BASE_MS = Date.parse('2024-01-01T00:00:00Z');
export const SPAN_MS = 365 * 86_400_000;

export interface Pools {
  numbers: string[];
  agents: { id: string; name: string }[];
  cases: string[];
}

export function makePools(rnd: () => number, sizes = { numbers: 20000, agents: 300, cases: 5000 }): Pools {
  const numbers = new Set<string>();
  while (numbers.size < sizes.numbers)
    numbers.add(`+4670${String(Math.floor(rnd() * 1e7)).padStart(7, '0')}`);
  const agents = Array.from({ length: sizes.agents }, (_, i) => ({
    id: String(2000 + i),
    name: `${nameWord(rnd)} ${nameWord(rnd)}`,
  }));
  const cases = Array.from({ length: sizes.cases }, (_, i) => `CASE-${String(i).padStart(5, '0')}`);
  return { numbers: [...numbers], agents, cases };
}

/** The same number in one of the spellings SIP metadata and technicians use. */
export function spell(rnd: () => number, e164: string): string {
  const d = e164.slice(1);
  switch (Math.floor(rnd() * 5)) {
    case 0:
      return e164;
    case 1:
      return `00${d}`;
    case 2:
      return `tel:${e164}`;
    case 3:
      return `sip:${e164}@sbc.example.net;user=phone`;
    default:
      return `+${d.slice(0, 2)} ${d.slice(2, 4)}-${d.slice(4, 7)} ${d.slice(7)}`;
  }
}

export function makeRecord(
  rnd: () => number,
  pools: Pools,
  i: number,
  overrides: Partial<RecordingRecord> = {},
): RecordingRecord {
  let startMs = BASE_MS + Math.floor(rnd() * SPAN_MS);
  if (rnd() < 0.2) startMs -= startMs % 60_000; // minute-aligned starts collide: ties order by id
  const withheld = rnd() < 0.1;
  const number = withheld ? null : pick(rnd, pools.numbers);
  const agent = rnd() < 0.05 ? null : pick(rnd, pools.agents);
  const durationMs = Math.floor(rnd() * 600_000);
  const retentionDays = pick(rnd, [30, 90, 180, 365, null]);
  const inbound = rnd() < 0.7;
  return {
    id: `r${i.toString(36)}-${Math.floor(rnd() * 1e9).toString(36)}`,
    source: pick(rnd, ['siprec', 'tap', 'import'] as const),
    state: 'complete',
    startedAt: new Date(startMs).toISOString(),
    endedAt: new Date(startMs + durationMs).toISOString(),
    durationMs,
    direction: rnd() < 0.05 ? 'unknown' : inbound ? 'inbound' : 'outbound',
    service: rnd() < 0.1 ? null : pick(rnd, SERVICES),
    number: number === null ? null : spell(rnd, number),
    numberWithheld: withheld,
    agent: agent?.id ?? null,
    agentName: agent?.name ?? null,
    participants: [
      { role: inbound ? 'caller' : 'callee', name: null, number, withheld, side: 'customer' },
      {
        role: inbound ? 'callee' : 'caller',
        name: agent?.name ?? null,
        number: agent?.id ?? null,
        withheld: false,
        side: 'agent',
      },
    ],
    caseId: rnd() < 0.3 ? pick(rnd, pools.cases) : null,
    policy: 'hrm',
    expiresAt: retentionDays === null ? null : new Date(startMs + retentionDays * 86_400_000).toISOString(),
    flags: [],
    format: { encoding: 'pcm_s16le', channels: 2, sampleRate: 8000 },
    codec: 'PCMA',
    stats: null,
    digest: null,
    signature: null,
    legalHold: false,
    restricted: false,
    consent: 'not_required',
    ...overrides,
  };
}
