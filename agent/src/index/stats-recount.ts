/**
 * Recounts the statistics counters when they were computed under another agent-group
 * configuration (api.stats_agent_groups changed) or not at all (an index from before counters).
 * A record's group needs its agent id, which is sealed: each record is opened once here, its
 * `sg` rewritten when the group moved, and the counters replaced. It runs inside the write
 * queue at open, so no write interleaves; O(recordings), once per configuration change.
 */
import type { Logger } from '../common/index.js';
import { KEY_END, PREFIX } from './keys.js';
import { decodeRecord, parseStored } from './record-codec.js';
import type { FieldKeys, StoredRecord } from './record-codec.js';
import {
  CounterDelta,
  STATS_END,
  STATS_GROUPS_KEY,
  STATS_PREFIX,
  contributionOf,
  groupsFingerprint,
} from './stats-counters.js';
import { SYNC } from './storage.js';
import type { Db } from './storage.js';

const CHUNK = 1000;

export function statsGroupsOp(groups: readonly string[]): { type: 'put'; key: string; value: string } {
  return { type: 'put', key: STATS_GROUPS_KEY, value: groupsFingerprint(groups) };
}

export async function recountIfStale(
  db: Db,
  groups: readonly string[],
  keys: FieldKeys,
  log: Logger,
  recordKeys: (ids: readonly string[]) => Promise<readonly (Buffer | undefined)[]>,
): Promise<boolean> {
  if ((await db.get(STATS_GROUPS_KEY)) === groupsFingerprint(groups)) return false;
  const groupOf = keys.group ?? ((): string => '(none)');
  const counters = new CounterDelta();
  let records = 0;
  let regrouped = 0;
  const it = db.iterator({ gte: PREFIX.rec, lt: PREFIX.rec + KEY_END });
  try {
    for (let chunk = await it.nextv(CHUNK); chunk.length > 0; chunk = await it.nextv(CHUNK)) {
      const stored = chunk.map(([k, v]) => parseStored(k.slice(PREFIX.rec.length), v));
      const sealed = stored.filter((s) => s.k === 'r').map((s) => s.id);
      const rks = new Map<string, Buffer | undefined>();
      if (sealed.length > 0) (await recordKeys(sealed)).forEach((k, i) => rks.set(sealed[i]!, k));
      const batch = db.batch();
      for (const s of stored) {
        // A record whose key was shredded reads without its agent: it is about to leave anyway.
        const agent = decodeRecord(s, keys.fieldKey, rks.get(s.id)).agent;
        const sg = s.ab !== null && agent === null ? (s.sg ?? '(other)') : groupOf(agent);
        const next: StoredRecord = sg === s.sg ? s : { ...s, sg };
        if (next !== s) {
          batch.put(PREFIX.rec + s.id, JSON.stringify(next));
          regrouped++;
        }
        counters.add(contributionOf(next), 1);
        records++;
      }
      if (batch.length > 0) await batch.write(SYNC);
      else await batch.close();
    }
  } finally {
    await it.close();
  }
  await db.clear({ gte: STATS_PREFIX, lt: STATS_END });
  const ops: { type: 'put'; key: string; value: string }[] = counters
    .entries()
    .map(([key, c]) => ({ type: 'put', key, value: JSON.stringify(c) }));
  ops.push(statsGroupsOp(groups));
  await db.batch(ops, SYNC);
  log.info({ records, regrouped, cells: ops.length - 1 }, 'statistics counters recounted');
  return true;
}
