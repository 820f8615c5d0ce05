/**
 * The audit chain. Each entry is stored as `<sha256 hex of body>\n<body>` under A!<seq>, where the
 * body is the entry's JSON including the previous entry's hash: the hash covers the exact stored
 * bytes, so any altered byte shows without relying on a canonical JSON form. The head (last seq
 * and hash) is written in the same batch as each entry, so truncation at the end is visible;
 * anchors (B!<seq>) carry an Ed25519 signature over a chain head, so even a writer with access to
 * the LevelDB files cannot rewrite history before the last anchor without the appliance key.
 */
import { createHash } from 'node:crypto';
import type { ClassicLevel } from 'classic-level';
import { IndexAuditTamperedError, IndexBadAuditError, IndexBadQueryError } from './errors.js';
import { blind } from './field-crypto.js';
import { AUDIT_HEAD_KEY, PREFIX, parseIsoMs, seqKey } from './keys.js';
import { AUDIT_ACTIONS } from './types.js';
import type { BatchOp } from './record-codec.js';
import type { AuditEntry, AuditInput, AuditListQuery, AuditProblem, AuditVerifyResult } from './types.js';

type Db = ClassicLevel<string, string>;

export const GENESIS_HASH = '0'.repeat(64);
const ROLES: ReadonlySet<string> = new Set(['agent', 'supervisor', 'admin', 'qa', 'dpo', 'system']);
const ACTIONS: ReadonlySet<string> = new Set<string>(AUDIT_ACTIONS);

export interface AuditHead {
  readonly seq: number;
  readonly hash: string;
}

interface Anchor {
  readonly seq: number;
  readonly hash: string;
  readonly ts: string;
  readonly sig: string;
}

function optString(input: AuditInput, field: 'recordingId' | 'reason' | 'from', max: number): string | null {
  const v = input[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || v.length > max)
    throw new IndexBadAuditError(field, `must be a string of at most ${max} characters`);
  return v;
}

/** Validates the input; a top-level `number` in detail is replaced by its blind index. */
export function auditBody(
  input: AuditInput,
  seq: number,
  prev: string,
  ts: string,
  blindIndexKey: Buffer,
): Omit<AuditEntry, 'hash'> {
  if (typeof input.actor !== 'string' || input.actor.length === 0 || input.actor.length > 256) {
    throw new IndexBadAuditError('actor', 'must be a non-empty string');
  }
  if (!ROLES.has(input.role)) throw new IndexBadAuditError('role', 'must be a user role or system');
  if (!ACTIONS.has(input.action)) throw new IndexBadAuditError('action', 'is not a known audit action');
  let detail: Record<string, unknown> | null = null;
  if (input.detail !== undefined && input.detail !== null) {
    if (typeof input.detail !== 'object' || Array.isArray(input.detail))
      throw new IndexBadAuditError('detail', 'must be an object');
    detail = { ...input.detail };
    if (typeof detail.number === 'string')
      detail.number = { blind: blind(blindIndexKey, 'number', detail.number) };
  }
  return {
    seq,
    ts,
    actor: input.actor,
    role: input.role,
    action: input.action,
    recordingId: optString(input, 'recordingId', 256),
    reason: optString(input, 'reason', 4096),
    from: optString(input, 'from', 256),
    detail,
    prev,
  };
}

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/** The stored value and the entry it decodes to. */
export function sealAuditEntry(body: Omit<AuditEntry, 'hash'>): { value: string; entry: AuditEntry } {
  const json = JSON.stringify(body);
  const hash = sha256Hex(json);
  return { value: `${hash}\n${json}`, entry: { ...body, hash } };
}

export function anchorPayload(seq: number, hash: string, ts: string): Buffer {
  return Buffer.from(`callvault-audit-anchor\n${seq}\n${hash}\n${ts}`, 'utf8');
}

export function anchorValue(head: AuditHead, ts: string, sign: (data: Buffer) => Buffer): string {
  const sig = sign(anchorPayload(head.seq, head.hash, ts)).toString('base64');
  return JSON.stringify({ seq: head.seq, hash: head.hash, ts, sig } satisfies Anchor);
}

/** What appending one entry writes (in the caller's batch) and the head it leads to. */
export interface AuditAppend {
  readonly ops: BatchOp[];
  readonly head: AuditHead;
  readonly entry: AuditEntry;
  readonly anchored: boolean;
}

/**
 * The ops that append `input` after `head`, plus a signed anchor every `anchorEvery` entries.
 * Validation happens here, before anything is written, so an invalid entry writes nothing.
 */
export function auditAppendOps(
  input: AuditInput,
  prevHead: AuditHead,
  ts: string,
  blindIndexKey: Buffer,
  anchorEvery: number,
  sign: (data: Buffer) => Buffer,
): AuditAppend {
  const seq = prevHead.seq + 1;
  const { value, entry } = sealAuditEntry(auditBody(input, seq, prevHead.hash, ts, blindIndexKey));
  const head = { seq, hash: entry.hash };
  const ops: BatchOp[] = [
    { type: 'put', key: seqKey(PREFIX.audit, seq), value },
    { type: 'put', key: AUDIT_HEAD_KEY, value: JSON.stringify(head) },
  ];
  const anchored = seq % anchorEvery === 0;
  if (anchored)
    ops.push({ type: 'put', key: seqKey(PREFIX.anchor, seq), value: anchorValue(head, ts, sign) });
  return { ops, head, entry, anchored };
}

/**
 * Compares the chain with the anchor kept outside the index: null when the chain reaches the
 * anchor's seq with the anchor's hash there, else what is wrong. A chain shorter than its
 * anchor lost entries (a deleted log, files restored from an older copy, a cut chain).
 */
export async function anchorProblem(db: Db, head: AuditHead, anchor: AuditHead): Promise<string | null> {
  if (anchor.seq === 0) return null;
  if (head.seq < anchor.seq)
    return `the audit chain ends at entry ${head.seq} but its anchor in the keystore records ${anchor.seq} entries: index writes were lost`;
  const stored = await db.get(seqKey(PREFIX.audit, anchor.seq));
  const d = stored === undefined ? null : decodeStoredEntry(stored);
  if (d === null || d.hash !== anchor.hash)
    return `audit entry ${anchor.seq} differs from its anchor in the keystore: the chain was rewritten`;
  return null;
}

export async function readHead(db: Db): Promise<AuditHead> {
  const v = await db.get(AUDIT_HEAD_KEY);
  if (v === undefined) return { seq: 0, hash: GENESIS_HASH };
  const h = JSON.parse(v) as AuditHead;
  return { seq: h.seq, hash: h.hash };
}

export async function lastAnchorSeq(db: Db): Promise<number> {
  const keys = await db.keys({ gte: PREFIX.anchor, lt: `${PREFIX.anchor}~`, reverse: true, limit: 1 }).all();
  const k = keys[0];
  return k === undefined ? 0 : Number(k.slice(PREFIX.anchor.length));
}

function decodeStoredEntry(value: string): { hash: string; body: string; entry: AuditEntry } | null {
  const nl = value.indexOf('\n');
  if (nl !== 64) return null;
  const hash = value.slice(0, nl);
  const body = value.slice(nl + 1);
  try {
    const parsed = JSON.parse(body) as Omit<AuditEntry, 'hash'>;
    if (typeof parsed !== 'object' || parsed === null || typeof parsed.seq !== 'number') return null;
    return { hash, body, entry: { ...parsed, hash } };
  } catch {
    return null;
  }
}

export async function listAuditEntries(db: Db, q: AuditListQuery): Promise<AuditEntry[]> {
  const sinceMs = q.since === undefined ? null : parseIsoMs(q.since);
  if (q.since !== undefined && sinceMs === null)
    throw new IndexBadQueryError('since', 'must be an ISO 8601 time');
  const limit = q.limit ?? 1000;
  if (!Number.isInteger(limit) || limit < 1 || limit > 10000)
    throw new IndexBadQueryError('limit', 'must be an integer 1..10000');
  const afterSeq = q.afterSeq ?? 0;
  if (!Number.isSafeInteger(afterSeq) || afterSeq < 0)
    throw new IndexBadQueryError('afterSeq', 'must be a non-negative integer');
  const out: AuditEntry[] = [];
  const it = db.iterator({ gte: seqKey(PREFIX.audit, afterSeq + 1), lt: `${PREFIX.audit}~` });
  try {
    while (out.length < limit) {
      const chunk = await it.nextv(Math.min(1000, limit - out.length + 100));
      if (chunk.length === 0) break;
      for (const [key, value] of chunk) {
        const d = decodeStoredEntry(value);
        if (d === null) throw new IndexAuditTamperedError(Number(key.slice(PREFIX.audit.length)));
        if (sinceMs !== null && Date.parse(d.entry.ts) < sinceMs) continue;
        out.push(d.entry);
        if (out.length === limit) break;
      }
    }
  } finally {
    await it.close();
  }
  return out;
}

async function loadAnchors(db: Db): Promise<Map<number, Anchor | null>> {
  // null marks an anchor that does not parse: reported as a bad signature at its seq.
  const anchors = new Map<number, Anchor | null>();
  for await (const [key, value] of db.iterator({ gte: PREFIX.anchor, lt: `${PREFIX.anchor}~` })) {
    const seq = Number(key.slice(PREFIX.anchor.length));
    try {
      const a = JSON.parse(value) as Anchor;
      anchors.set(seq, a.seq === seq && typeof a.hash === 'string' && typeof a.sig === 'string' ? a : null);
    } catch {
      anchors.set(seq, null);
    }
  }
  return anchors;
}

function bad(firstBadSeq: number, problem: AuditProblem): AuditVerifyResult {
  return { ok: false, firstBadSeq, problem };
}

/** Walks the chain in seq order and reports the first broken link. */
export async function verifyAuditChain(
  db: Db,
  verifySignature: (data: Buffer, sig: Buffer) => boolean,
  external?: AuditHead,
): Promise<AuditVerifyResult> {
  const anchors = await loadAnchors(db);
  const checkAnchor = (seq: number, hash: string): AuditVerifyResult | null => {
    if (!anchors.has(seq)) return null;
    const a = anchors.get(seq) ?? null;
    if (a === null || !verifySignature(anchorPayload(a.seq, a.hash, a.ts), Buffer.from(a.sig, 'base64'))) {
      return bad(seq, 'anchor_signature');
    }
    return a.hash === hash ? null : bad(seq, 'anchor_mismatch');
  };
  let expected = 1;
  let prev = GENESIS_HASH;
  const it = db.iterator({ gte: PREFIX.audit, lt: `${PREFIX.audit}~` });
  try {
    for (;;) {
      const chunk = await it.nextv(1000);
      if (chunk.length === 0) break;
      for (const [key, value] of chunk) {
        const keySeq = Number(key.slice(PREFIX.audit.length));
        if (keySeq !== expected) return bad(expected, 'missing');
        const d = decodeStoredEntry(value);
        if (d === null) return bad(keySeq, 'unparseable');
        if (sha256Hex(d.body) !== d.hash) return bad(keySeq, 'hash_mismatch');
        if (d.entry.seq !== keySeq) return bad(keySeq, 'seq_mismatch');
        if (d.entry.prev !== prev) return bad(keySeq, 'prev_mismatch');
        const signedProblem = checkAnchor(keySeq, d.hash);
        if (signedProblem !== null) return signedProblem;
        if (external !== undefined && external.seq === keySeq && external.hash !== d.hash)
          return bad(keySeq, 'anchor_mismatch');
        prev = d.hash;
        expected++;
      }
    }
  } finally {
    await it.close();
  }
  const last = expected - 1;
  const head = await readHead(db);
  if (head.seq > last) return bad(last + 1, 'truncated');
  if (head.seq < last) return bad(head.seq + 1, 'truncated');
  if (head.hash !== prev) return bad(last, 'truncated');
  for (const seq of anchors.keys()) if (seq > last) return bad(last + 1, 'truncated');
  if (external !== undefined && external.seq > last) return bad(last + 1, 'truncated');
  return { ok: true, entries: last, anchors: anchors.size };
}
