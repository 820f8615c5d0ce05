/**
 * search.ts: the property test. 100 000 generated recordings, ~200 random queries (number, agent,
 * case, service, direction, time range, expiry and combinations), every page walked: the ids must
 * equal a brute-force filter over the same data, in the same order. Also: cursor stability under
 * inserts, count(), and the raw-bytes privacy scan of the LevelDB files.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { normaliseNumber, openIndex } from '../../../agent/src/index/index.js';
import type { RecordingIndex, RecordingRecord, SearchQuery } from '../../../agent/src/index/index.js';
import {
  BASE_MS,
  SERVICES,
  SPAN_MS,
  indexOptions,
  makePools,
  makeRecord,
  pick,
  prng,
  spell,
  tempDir,
  testKeys,
} from './helpers/fixtures.js';
import type { Pools } from './helpers/fixtures.js';

const N = 100_000;
const QUERIES = 200;
const DAY = 86_400_000;

interface Flat {
  id: string;
  sm: number;
  em: number | null;
  numbers: Set<string>;
  agent: string | null;
  caseId: string | null;
  service: string | null;
  direction: string;
}

function flatten(r: RecordingRecord): Flat {
  const numbers = new Set<string>();
  // A number search matches the customer side: the customer number and customer participants.
  for (const n of [r.number, ...r.participants.filter((p) => p.side === 'customer').map((p) => p.number)]) {
    const norm = n === null ? null : normaliseNumber(n);
    if (norm !== null) numbers.add(norm);
  }
  return {
    id: r.id,
    sm: Date.parse(r.startedAt),
    em: r.expiresAt === null ? null : Date.parse(r.expiresAt),
    numbers,
    agent: r.agent,
    caseId: r.caseId,
    service: r.service,
    direction: r.direction,
  };
}

function bruteForce(all: readonly Flat[], q: SearchQuery): string[] {
  const num = q.number === undefined ? null : normaliseNumber(q.number);
  const from = q.from === undefined ? null : Date.parse(q.from);
  const to = q.to === undefined ? null : Date.parse(q.to);
  const exp = q.expiresBefore === undefined ? null : Date.parse(q.expiresBefore);
  const hits = all.filter(
    (r) =>
      (num === null || r.numbers.has(num)) &&
      (q.agent === undefined || r.agent === q.agent) &&
      (q.caseId === undefined || r.caseId === q.caseId) &&
      (q.service === undefined || r.service === q.service) &&
      (q.direction === undefined || r.direction === q.direction) &&
      (from === null || r.sm >= from) &&
      (to === null || r.sm < to) &&
      (exp === null || (r.em !== null && r.em < exp)),
  );
  hits.sort((a, b) => a.sm - b.sm || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (q.order !== 'asc') hits.reverse();
  return hits.map((r) => r.id);
}

function randomQuery(rnd: () => number, pools: Pools, data: readonly Flat[]): SearchQuery {
  const iso = (ms: number): string => new Date(ms).toISOString();
  const range = (maxDays: number): { from: string; to: string } => {
    const from = BASE_MS + Math.floor(rnd() * SPAN_MS);
    return { from: iso(from), to: iso(from + Math.floor(rnd() * maxDays * DAY) + 1) };
  };
  const someRecord = pick(rnd, data);
  const num = (): string => spell(rnd, pick(rnd, pools.numbers));
  const agent = (): string =>
    rnd() < 0.5 && someRecord.agent !== null ? someRecord.agent : pick(rnd, pools.agents).id;
  const order = rnd() < 0.5 ? 'asc' : 'desc';
  const kinds: (() => SearchQuery)[] = [
    () => ({ number: num() }),
    () => ({ number: [...someRecord.numbers][0] ?? num() }),
    () => ({ number: num(), ...range(120) }),
    () => ({ number: '+4670000000000' }),
    () => ({ agent: agent(), ...range(30) }),
    () => ({ agent: agent(), ...range(2) }),
    () => ({ agent: agent(), service: pick(rnd, SERVICES), ...range(20) }),
    () => ({ caseId: someRecord.caseId ?? pick(rnd, pools.cases) }),
    () => ({ ...range(2) }),
    () => ({ from: iso(BASE_MS + SPAN_MS - Math.floor(rnd() * DAY)) }),
    () => ({ to: iso(BASE_MS + Math.floor(rnd() * DAY)) }),
    () => ({ service: pick(rnd, SERVICES), ...range(3) }),
    () => ({
      direction: pick(rnd, ['inbound', 'outbound', 'unknown'] as const),
      service: pick(rnd, SERVICES),
      ...range(2),
    }),
    () => ({ direction: 'unknown', ...range(10) }),
    () => {
      const day = BASE_MS + 30 * DAY + Math.floor(rnd() * SPAN_MS);
      return { expiresBefore: iso(day), from: iso(day - 31 * DAY) };
    },
    () => ({ expiresBefore: iso(BASE_MS + 31 * DAY + Math.floor(rnd() * 5 * DAY)) }),
    () => ({ expiresBefore: iso(BASE_MS + SPAN_MS), agent: agent() }),
    () => ({ number: [...someRecord.numbers][0] ?? num(), agent: someRecord.agent ?? agent() }),
    () => ({ number: num(), direction: 'inbound', service: pick(rnd, SERVICES) }),
  ];
  return { ...pick(rnd, kinds)(), order };
}

async function allPages(index: RecordingIndex, q: SearchQuery, limit: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 10_000; page++) {
    const res = await index.search({ ...q, limit, ...(cursor === undefined ? {} : { cursor }) });
    assert.ok(res.items.length <= limit);
    ids.push(...res.items.map((r) => r.id));
    if (res.nextCursor === null) return ids;
    assert.equal(res.items.length, limit, 'a non-final page is full');
    cursor = res.nextCursor;
  }
  throw new Error('too many pages');
}

/** Maximal runs of digits (≥ 6) and of letters (≥ 6) in every file of the directory. */
function rawTokens(dir: string): { digits: Set<string>; words: Set<string>; bytes: Buffer[] } {
  const digits = new Set<string>();
  const words = new Set<string>();
  const bytes: Buffer[] = [];
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const buf = readFileSync(join(e.parentPath, e.name));
    bytes.push(buf);
    const text = buf.toString('latin1');
    for (const m of text.matchAll(/\d{6,}/g)) digits.add(m[0]);
    for (const m of text.matchAll(/[A-Za-z]{6,}/g)) words.add(m[0]);
  }
  return { digits, words, bytes };
}

describe('index/search', function () {
  this.timeout(120_000);
  let tmp: ReturnType<typeof tempDir>;
  let index: RecordingIndex;

  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(async () => {
    await index?.close();
    tmp.cleanup();
  });

  it('matches a brute-force filter on 100 000 recordings across ~200 paged queries', async () => {
    const rnd = prng(0xca11);
    const pools = makePools(rnd);
    index = await openIndex(indexOptions(tmp.dir));
    const data: Flat[] = [];
    const t0 = Date.now();
    for (let i = 0; i < N; i += 1000) {
      const batch = Array.from({ length: 1000 }, (_, j) => makeRecord(rnd, pools, i + j));
      await index.putRecordings(batch);
      for (const r of batch) data.push(flatten(r));
    }
    const insertMs = Date.now() - t0;
    assert.ok(insertMs < 60_000, `insert took ${insertMs} ms`);

    let nonEmpty = 0;
    let multiPage = 0;
    for (let i = 0; i < QUERIES; i++) {
      const q = randomQuery(rnd, pools, data);
      const expected = bruteForce(data, q);
      let limit = pick(rnd, [1, 7, 50, 200, 1000]);
      while (expected.length / limit > 50) limit = Math.min(1000, limit * 10);
      const got = await allPages(index, q, limit);
      assert.deepEqual(got, expected, `query ${JSON.stringify(q)} limit ${limit}`);
      if (i % 4 === 0) assert.equal(await index.count(q), expected.length, `count ${JSON.stringify(q)}`);
      if (expected.length > 0) nonEmpty++;
      if (expected.length > limit) multiPage++;
    }
    // The generator must exercise real results and real paging, not only empty answers.
    assert.ok(nonEmpty > QUERIES / 2, `only ${nonEmpty} non-empty queries`);
    assert.ok(multiPage > QUERIES / 5, `only ${multiPage} multi-page queries`);
  });

  it('keeps no plaintext number or agent name in the LevelDB files', async () => {
    const rnd = prng(7);
    const pools = makePools(rnd, { numbers: 2000, agents: 50, cases: 100 });
    const keys = testKeys();
    index = await openIndex(indexOptions(tmp.dir, keys));
    const recs = Array.from({ length: 5000 }, (_, i) => makeRecord(rnd, pools, i));
    await index.putRecordings(recs.slice(0, 2500));
    // Reopening turns the write-ahead log into a table, so both .ldb and .log bytes are scanned.
    await index.close();
    index = await openIndex(indexOptions(tmp.dir, keys));
    await index.putRecordings(recs.slice(2500));
    const dbDir = join(tmp.dir, 'index');
    assert.ok(
      readdirSync(dbDir).some((f) => f.endsWith('.ldb')),
      'a table file exists',
    );
    assert.ok(
      readdirSync(dbDir).some((f) => f.endsWith('.log')),
      'a log file exists',
    );
    const { digits, words, bytes } = rawTokens(dbDir);
    // Positive control: plain fields are found, so the scan would see a plaintext field.
    assert.ok(
      bytes.some((b) => b.includes('waste-collection')),
      'scan sees plain service names',
    );
    const used = new Set(
      recs.flatMap((r) => (r.number === null ? [] : [normaliseNumber(r.number) as string])),
    );
    assert.ok(used.size > 1000);
    for (const n of used) assert.ok(!digits.has(n.slice(1)), `number ${n} found in LevelDB files`);
    for (const a of pools.agents)
      for (const word of a.name.split(' ')) assert.ok(!words.has(word), `agent name ${word} found`);
  });

  it('keeps a cursor stable while records are inserted before and after it', async () => {
    const rnd = prng(3);
    const pools = makePools(rnd, { numbers: 50, agents: 3, cases: 10 });
    index = await openIndex(indexOptions(tmp.dir));
    const recs = Array.from({ length: 300 }, (_, i) => makeRecord(rnd, pools, i, { agent: '2000' }));
    await index.putRecordings(recs);
    const q: SearchQuery = { agent: '2000', order: 'asc', limit: 100 };
    const first = await index.search(q);
    assert.ok(first.nextCursor !== null);
    const last = first.items[99] as RecordingRecord;
    const lastMs = Date.parse(last.startedAt);
    // One record before the cursor position (must not appear), one after (must appear).
    await index.putRecordings([
      makeRecord(rnd, pools, 1000, {
        id: 'early',
        agent: '2000',
        startedAt: new Date(lastMs - 1).toISOString(),
      }),
      makeRecord(rnd, pools, 1001, {
        id: 'late',
        agent: '2000',
        startedAt: new Date(lastMs + 1).toISOString(),
      }),
    ]);
    const rest = await allPages(index, { ...q, cursor: first.nextCursor }, 100).catch(async () => {
      // allPages adds its own cursor on later pages; the first call carries ours.
      throw new Error('paging failed');
    });
    assert.ok(rest.includes('late'));
    assert.ok(!rest.includes('early'));
    const seen = new Set([...first.items.map((r) => r.id), ...rest]);
    assert.equal(seen.size, first.items.length + rest.length, 'no record twice');
    assert.equal(seen.size, 301);
  });
});
