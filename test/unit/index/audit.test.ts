/** audit.ts: the hash chain, anchors, listing, and tamper detection naming the first bad seq. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { openIndex } from '../../../agent/src/index/index.js';
import type { AuditInput, IndexOptions, RecordingIndex } from '../../../agent/src/index/index.js';
import { auditBody, sealAuditEntry } from '../../../agent/src/index/audit.js';
import { AUDIT_HEAD_KEY } from '../../../agent/src/index/keys.js';
import { IntegrityError } from '../../../agent/src/common/index.js';
import { indexOptions, tempDir, testKeys } from './helpers/fixtures.js';

const ENTRIES = 12;
const key = (seq: number): string => `A!${String(seq).padStart(16, '0')}`;

function entry(i: number): AuditInput {
  return {
    actor: `user${i % 3}`,
    role: 'supervisor',
    action: 'listen',
    recordingId: `rec-${i}`,
    reason: `case review ${i}`,
    from: '127.0.0.1',
  };
}

describe('index/audit', function () {
  this.timeout(20_000);
  let tmp: ReturnType<typeof tempDir>;
  let opts: IndexOptions;
  let index: RecordingIndex | undefined;

  /** Writes ENTRIES entries (anchored every 4), closes, and hands the raw LevelDB to `tamper`. */
  async function tampered(
    tamper: (raw: ClassicLevel<string, Buffer>) => Promise<void>,
  ): Promise<RecordingIndex> {
    const idx = await openIndex(opts);
    for (let i = 1; i <= ENTRIES; i++) await idx.appendAudit(entry(i));
    assert.deepEqual(await idx.verifyAudit(), { ok: true, entries: ENTRIES, anchors: 3 });
    await idx.close();
    const raw = new ClassicLevel<string, Buffer>(opts.dir, { valueEncoding: 'buffer' });
    await raw.open();
    await tamper(raw);
    await raw.close();
    index = await openIndex(opts);
    return index;
  }

  beforeEach(() => {
    tmp = tempDir();
    opts = indexOptions(tmp.dir, testKeys(), { auditAnchorEvery: 4 });
    index = undefined;
  });
  afterEach(async () => {
    await index?.close();
    tmp.cleanup();
  });

  it('chains entries: seq, prev = previous hash, and lists them by time', async () => {
    let t = Date.parse('2024-03-01T10:00:00Z');
    index = await openIndex({ ...opts, now: () => new Date((t += 60_000)) });
    const a = await index.appendAudit(entry(1));
    const b = await index.appendAudit({
      actor: 'dpo1',
      role: 'dpo',
      action: 'withdraw_consent',
      detail: { number: '+46701234567' },
    });
    assert.equal(a.seq, 1);
    assert.equal(a.prev, '0'.repeat(64));
    assert.equal(b.seq, 2);
    assert.equal(b.prev, a.hash);
    assert.match(a.hash, /^[0-9a-f]{64}$/);
    assert.notEqual(JSON.stringify(b.detail).includes('46701234567'), true, 'a number in detail is blinded');
    const all = await index.listAudit();
    assert.deepEqual(
      all.map((e) => e.seq),
      [1, 2],
    );
    assert.deepEqual(all[0], a);
    assert.deepEqual(
      (await index.listAudit({ since: b.ts })).map((e) => e.seq),
      [2],
    );
    assert.deepEqual(
      (await index.listAudit({ afterSeq: 1 })).map((e) => e.seq),
      [2],
    );
    assert.deepEqual(
      (await index.listAudit({ limit: 1 })).map((e) => e.seq),
      [1],
    );
    await assert.rejects(index.listAudit({ since: 'last week' }), {
      code: 'CV_ERR_INDEX_BAD_QUERY',
      context: { param: 'since' },
    });
    await assert.rejects(index.listAudit({ limit: 0 }), {
      code: 'CV_ERR_INDEX_BAD_QUERY',
      context: { param: 'limit' },
    });
  });

  it('continues the chain across close and reopen, anchoring the head on close', async () => {
    index = await openIndex(opts);
    await index.appendAudit(entry(1));
    await index.close();
    index = await openIndex(opts);
    const e = await index.appendAudit(entry(2));
    assert.equal(e.seq, 2);
    assert.deepEqual(await index.verifyAudit(), { ok: true, entries: 2, anchors: 1 });
  });

  it('rejects bad entries with CV_ERR_INDEX_BAD_AUDIT', async () => {
    index = await openIndex(opts);
    const bad = [
      { ...entry(1), actor: '' },
      { ...entry(1), role: 'root' },
      { ...entry(1), action: 'peek' },
      { ...entry(1), reason: 42 },
      { ...entry(1), detail: [1] },
    ];
    for (const b of bad)
      await assert.rejects(index.appendAudit(b as unknown as AuditInput), { code: 'CV_ERR_INDEX_BAD_AUDIT' });
    assert.deepEqual(await index.listAudit(), []);
  });

  it('detects one altered byte anywhere in an entry and names its seq', async () => {
    for (const pos of [3, 64, 80, -5]) {
      const idx = await tampered(async (raw) => {
        const v = (await raw.get(key(5))) as Buffer;
        const at = pos < 0 ? v.length + pos : pos;
        v[at] = (v[at] as number) ^ 0x01;
        await raw.put(key(5), v);
      });
      const r = await idx.verifyAudit();
      assert.equal(r.ok, false, `byte ${pos}`);
      assert.equal(!r.ok && r.firstBadSeq, 5, `byte ${pos}`);
      await idx.close();
      tmp.cleanup();
      tmp = tempDir();
      opts = { ...opts, dir: join(tmp.dir, 'index') };
    }
  });

  it('detects a deleted entry', async () => {
    const idx = await tampered((raw) => raw.del(key(6)));
    assert.deepEqual(await idx.verifyAudit(), { ok: false, firstBadSeq: 6, problem: 'missing' });
  });

  it('detects two reordered entries', async () => {
    const idx = await tampered(async (raw) => {
      const [a, b] = [(await raw.get(key(3))) as Buffer, (await raw.get(key(7))) as Buffer];
      await raw.batch([
        { type: 'put', key: key(3), value: b },
        { type: 'put', key: key(7), value: a },
      ]);
    });
    assert.deepEqual(await idx.verifyAudit(), { ok: false, firstBadSeq: 3, problem: 'seq_mismatch' });
  });

  it('detects truncation of the last entries', async () => {
    const idx = await tampered(async (raw) => {
      await raw.batch([
        { type: 'del', key: key(12) },
        { type: 'del', key: key(11) },
      ]);
    });
    assert.deepEqual(await idx.verifyAudit(), { ok: false, firstBadSeq: 11, problem: 'truncated' });
  });

  it('a consistent rewrite of the tail is caught by the signed anchor', async () => {
    const idx = await tampered(async (raw) => {
      // Rewrite entries 6.. with a new reason and recomputed hashes: the chain itself stays whole.
      const prevValue = (await raw.get(key(5))) as Buffer;
      let prev = prevValue.toString('utf8').slice(0, 64);
      for (let seq = 6; seq <= ENTRIES; seq++) {
        const { ts } = JSON.parse(((await raw.get(key(seq))) as Buffer).toString('utf8').slice(65)) as {
          ts: string;
        };
        const { value, entry: e } = sealAuditEntry(
          auditBody({ ...entry(seq), reason: 'nothing to see' }, seq, prev, ts, opts.blindIndexKey),
        );
        await raw.put(key(seq), Buffer.from(value));
        prev = e.hash;
      }
      await raw.put('m!audit-head', Buffer.from(JSON.stringify({ seq: ENTRIES, hash: prev })));
    });
    assert.deepEqual(await idx.verifyAudit(), { ok: false, firstBadSeq: 8, problem: 'anchor_mismatch' });
  });

  it('detects a forged anchor signature', async () => {
    const idx = await tampered(async (raw) => {
      const a = JSON.parse(((await raw.get('B!0000000000000004')) as Buffer).toString('utf8')) as {
        sig: string;
      };
      a.sig = Buffer.alloc(64, 1).toString('base64');
      await raw.put('B!0000000000000004', Buffer.from(JSON.stringify(a)));
    });
    assert.deepEqual(await idx.verifyAudit(), { ok: false, firstBadSeq: 4, problem: 'anchor_signature' });
  });

  it('an unreadable entry fails listAudit with CV_ERR_INDEX_AUDIT_TAMPERED', async () => {
    const idx = await tampered((raw) => raw.put(key(2), Buffer.from('garbage')));
    await assert.rejects(idx.listAudit(), { code: 'CV_ERR_INDEX_AUDIT_TAMPERED' });
    assert.deepEqual(await idx.verifyAudit(), { ok: false, firstBadSeq: 2, problem: 'unparseable' });
  });

  describe('the anchor outside the index (keystore)', () => {
    type Head = { seq: number; hash: string };
    function memoryAnchor(): {
      store: NonNullable<IndexOptions['auditAnchor']>;
      get: () => Head | undefined;
      set: (h: Head) => void;
    } {
      let head: Head | undefined;
      return {
        store: { read: async () => head, write: async (h) => void (head = { ...h }) },
        get: () => head,
        set: (h) => void (head = h),
      };
    }

    it('follows every append; a consistently cut chain verifies without it, but is refused at open with it', async () => {
      const a = memoryAnchor();
      const withAnchor = { ...opts, auditAnchor: a.store };
      let idx = await openIndex(withAnchor);
      for (let i = 1; i <= ENTRIES; i++) await idx.appendAudit(entry(i));
      assert.equal(a.get()?.seq, ENTRIES);
      await idx.close();
      // Cut entries 9.. together with the head and the signed anchors: the chain stays whole.
      const raw = new ClassicLevel<string, string>(opts.dir, { valueEncoding: 'utf8' });
      await raw.open();
      const hash8 = ((await raw.get(key(8))) as string).slice(0, 64);
      const ops: { type: 'del'; key: string }[] = [];
      for (let seq = 9; seq <= ENTRIES; seq++)
        ops.push({ type: 'del', key: key(seq) }, { type: 'del', key: `B!${String(seq).padStart(16, '0')}` });
      await raw.batch([
        ...ops,
        { type: 'put', key: AUDIT_HEAD_KEY, value: JSON.stringify({ seq: 8, hash: hash8 }) },
      ]);
      await raw.close();

      idx = await openIndex(opts);
      assert.deepEqual((await idx.verifyAudit()).ok, true, 'without the anchor the cut is invisible');
      await idx.close();
      await assert.rejects(openIndex(withAnchor), (err: Error & { code: string }) => {
        assert.equal(err.code, 'CV_ERR_INDEX_CORRUPT');
        assert.ok(err instanceof IntegrityError);
        return true;
      });
      // `index rebuild` opens it and records the loss in the chain; the anchor follows.
      index = await openIndex({ ...withAnchor, acceptAuditLoss: true });
      assert.deepEqual(await index.verifyAudit(), { ok: true, entries: 9, anchors: 2 });
      const last = (await index.listAudit()).at(-1);
      assert.equal(last?.action, 'index_rebuild');
      assert.deepEqual(last?.detail, { auditEntriesLost: true, anchorSeq: ENTRIES, chainSeq: 8 });
      assert.equal(a.get()?.seq, 9);
    });

    it('audit verify reports a chain shorter than its anchor as truncated', async () => {
      const a = memoryAnchor();
      index = await openIndex({ ...opts, auditAnchor: a.store });
      for (let i = 1; i <= 3; i++) await index.appendAudit(entry(i));
      a.set({ seq: 5, hash: 'f'.repeat(64) });
      assert.deepEqual(await index.verifyAudit(), { ok: false, firstBadSeq: 4, problem: 'truncated' });
    });
  });
});
