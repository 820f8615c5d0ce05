/**
 * The recordings whose expiry has passed, read for retention: only the plain fields a retention
 * decision needs (id, policy, expiry, hold, restriction, flags), straight from the expiry index
 * in key order. Nothing is decrypted, and each page continues from the last key instead of
 * re-reading the whole due range as a search page would (a 100 000-recording run read it 100
 * times and opened every record's sealed fields).
 */
import { PREFIX, recKey, timeHex } from './keys.js';
import { parseStored } from './record-codec.js';
import type { Db } from './storage.js';

export interface RetentionView {
  readonly id: string;
  readonly policy: string;
  readonly expiresAt: string | null;
  readonly legalHold: boolean;
  readonly restricted: boolean;
  readonly flags: readonly string[];
}

export interface DuePage {
  readonly items: RetentionView[];
  /** Where the next page starts (an expiry index key); null at the end. */
  readonly next: string | null;
}

/** Up to `limit` recordings with an expiry before `beforeMs`, oldest expiry first. */
export async function duePage(
  db: Db,
  beforeMs: number,
  after: string | null,
  limit: number,
): Promise<DuePage> {
  const lt = PREFIX.expiry + timeHex(beforeMs);
  const range = after === null ? { gte: PREFIX.expiry, lt, limit } : { gt: after, lt, limit };
  const keys = await db.keys(range).all();
  const ids = keys.map((k) => k.slice(k.lastIndexOf('!') + 1));
  const values = ids.length === 0 ? [] : await db.getMany(ids.map(recKey));
  const items: RetentionView[] = [];
  values.forEach((v, i) => {
    // An entry whose record is gone is dangling (checkConsistency removes it): nothing to do.
    if (v === undefined) return;
    const s = parseStored(ids[i] as string, v);
    items.push({
      id: s.id,
      policy: s.policy,
      expiresAt: s.expiresAt,
      legalHold: s.legalHold,
      restricted: s.restricted,
      flags: s.flags,
    });
  });
  return { items, next: keys.length < limit ? null : (keys[keys.length - 1] as string) };
}
