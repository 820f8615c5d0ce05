/**
 * `callvaultctl index rebuild`: refills the recordings from the vault, salvaging users, grants
 * and the audit chain when LevelDB can. A corrupt index is first repaired in place (LevelDB
 * RepairDB); only when that still does not open is it destroyed and started afresh. The report
 * says which happened, and the audit verification shows whether the chain survived intact.
 */
import { IndexCorruptError } from './errors.js';
import { RecordingIndex } from './recording-index.js';
import { destroyIndex, repairIndex } from './storage.js';
import type { AuditVerifyResult, IndexOptions, RecordingRecord } from './types.js';

export interface RebuildReport {
  readonly recordings: number;
  /** LevelDB's repair ran (the index was corrupt). */
  readonly repaired: boolean;
  /** Repair was not enough: the index was destroyed; users, grants and audit are gone. */
  readonly recreated: boolean;
  readonly audit: AuditVerifyResult;
}

async function openForRebuild(
  opts: IndexOptions,
): Promise<{ index: RecordingIndex; repaired: boolean; recreated: boolean }> {
  try {
    return { index: await RecordingIndex.open(opts), repaired: false, recreated: false };
  } catch (err) {
    if (!(err instanceof IndexCorruptError)) throw err;
    opts.log.warn({ err }, 'index corrupt: repairing before rebuild');
  }
  try {
    await repairIndex(opts.dir);
    return { index: await RecordingIndex.open(opts, true), repaired: true, recreated: false };
  } catch (err) {
    if (!(err instanceof IndexCorruptError)) throw err;
    opts.log.error({ err }, 'index beyond repair: recreating it empty');
  }
  await destroyIndex(opts.dir);
  return { index: await RecordingIndex.open(opts), repaired: true, recreated: true };
}

export async function rebuildIndex(
  opts: IndexOptions,
  records: AsyncIterable<RecordingRecord>,
): Promise<RebuildReport> {
  const { index, repaired, recreated } = await openForRebuild(opts);
  try {
    const recordings = await index.rebuild(records);
    return { recordings, repaired, recreated, audit: await index.verifyAudit() };
  } finally {
    await index.close();
  }
}
