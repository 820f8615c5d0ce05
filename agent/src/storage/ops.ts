/**
 * What the technician's commands do to storage. The daemon runs these for callvaultctl over
 * its control socket; the CLI runs the very same functions itself when no daemon holds the
 * storage. So "works both ways" is one code path, not two.
 */
import type { RecordingRecord } from '../index/index.js';
import type { Storage } from './storage.js';
import type { Actor } from './actor.js';
import { parseImportMeta, recordFromParts, recordFromVault, vaultRecordIds } from './records.js';
import { RecordingNotFoundError } from './errors.js';
import { TAMPERED_FLAG, isIntegrityFailure, openCheckedReader, reportIntegrityFailure } from './integrity.js';
import { IntegrityError } from '../common/index.js';
import { effectivePolicies } from './dpo-state.js';

export type { Actor } from './actor.js';

export type ChunkSink = (chunk: Buffer) => Promise<void>;

export interface ImportResult {
  readonly id: string;
  readonly durationMs: number;
  readonly digest: string | null;
}

export async function importWav(
  storage: Storage,
  actor: Actor,
  wav: Buffer,
  metaJson: string | undefined,
  now = new Date(),
): Promise<ImportResult> {
  const policy = storage.config.policy;
  const meta = parseImportMeta(metaJson, policy, now, {
    defaultCountry: storage.config.sip.default_country,
  });
  const finished = await storage.vault.importWav(
    wav,
    meta as unknown as Record<string, unknown>,
    new Date(meta.startedAt),
  );
  const record = recordFromParts(finished.id, meta, finished, finished.format, policy);
  await storage.index.putRecording(record);
  storage.counts.written('import');
  await storage.index.appendAudit({
    actor: actor.name,
    role: actor.role,
    action: 'import',
    recordingId: finished.id,
    from: actor.from,
  });
  return { id: finished.id, durationMs: finished.durationMs, digest: finished.digest };
}

async function mustGet(storage: Storage, id: string): Promise<RecordingRecord> {
  const record = await storage.index.getRecording(id);
  if (record === null || record === undefined) throw new RecordingNotFoundError(id);
  return record;
}

export interface ExportResult {
  readonly id: string;
  readonly bytes: number;
  readonly digest: string | null;
}

/**
 * Decrypts a recording to plain WAV through `sink`. The audit entry is written before the
 * first byte leaves, so an access that is interrupted is still on record.
 */
export async function exportRecording(
  storage: Storage,
  actor: Actor,
  id: string,
  reason: string,
  sink: ChunkSink,
): Promise<ExportResult> {
  const record = await mustGet(storage, id);
  await storage.index.appendAudit({
    actor: actor.name,
    role: actor.role,
    action: 'export',
    recordingId: id,
    reason,
    from: actor.from,
  });
  const reader = await openCheckedReader(storage, id, 'export', actor);
  storage.counts.audioAccess(actor.role);
  let bytes = 0;
  for await (const chunk of reader.createReadStream()) {
    bytes += chunk.length;
    await sink(chunk);
  }
  return { id, bytes, digest: record.digest };
}

export interface VerifyOutcome {
  readonly id: string;
  /** True when verified, or skipped because it is still being written (`inProgress`). */
  readonly ok: boolean;
  readonly inProgress?: true;
  readonly digest?: string;
  readonly code?: string;
  readonly message?: string;
}

/** A finished recording (indexed with a digest) whose container is gone but whose key is not. */
async function containerRemoved(storage: Storage, id: string): Promise<boolean> {
  const record = await storage.index.getRecording(id);
  return typeof record?.digest === 'string' && (await storage.vault.hasDataKey(id));
}

/**
 * Full digest pass (every record decrypted and authenticated, digest and signature checked,
 * digest compared with the index). Recordings still being written have no digest yet: they are
 * listed as in progress, not failed, so a scheduled `verify --all` does not alarm during calls.
 */
export async function verifyRecordings(
  storage: Storage,
  actor: Actor,
  ids: readonly string[] | 'all',
  onProgress?: (done: number, total: number) => void,
): Promise<VerifyOutcome[]> {
  const list = ids === 'all' ? await storage.vault.listIds() : ids;
  const out: VerifyOutcome[] = [];
  for (const id of list) {
    onProgress?.(out.length, list.length);
    if (ids !== 'all' && !(await storage.vault.has(id))) {
      if (!(await containerRemoved(storage, id))) throw new RecordingNotFoundError(id);
      out.push({ id, ok: false, code: 'CV_ERR_VAULT_CONTAINER_MISSING', message: 'the container is gone' });
      await reportIntegrityFailure(storage, id, 'CV_ERR_VAULT_CONTAINER_MISSING', 'verify', actor);
      continue;
    }
    if (storage.vault.isActive(id)) {
      out.push({ id, ok: true, inProgress: true });
      continue;
    }
    try {
      const result = await storage.vault.verify(id);
      const record = await storage.index.getRecording(id);
      if (record?.digest && record.digest !== result.digest) {
        out.push({
          id,
          ok: false,
          code: 'CV_ERR_VAULT_DIGEST_MISMATCH',
          message: 'index digest differs from the signed digest',
        });
      } else {
        out.push({ id, ok: true, digest: result.digest });
      }
    } catch (err) {
      const e = err as { code?: string; message?: string };
      out.push({ id, ok: false, code: e.code ?? 'CV_ERR_INTERNAL', message: e.message ?? String(err) });
    }
    const last = out[out.length - 1] as VerifyOutcome;
    if (!last.ok && isIntegrityFailure(last))
      await reportIntegrityFailure(storage, id, last.code as string, 'verify', actor);
  }
  onProgress?.(list.length, list.length);
  await storage.index.appendAudit({
    actor: actor.name,
    role: actor.role,
    action: 'verify',
    from: actor.from,
    detail: {
      checked: out.length,
      failed: out.filter((o) => !o.ok).length,
      inProgress: out.filter((o) => o.inProgress).length,
    },
  });
  return out;
}

export interface RecordingSummary {
  readonly id: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly direction: string;
  readonly service: string | null;
  readonly agent: string | null;
  readonly number: string | null;
  readonly state: string;
  readonly flags: readonly string[];
  readonly policy: string;
  readonly expiresAt: string | null;
  /** The call's MOS (worst stream); null without RTP or for imports. */
  readonly mos: number | null;
}

function summarise(r: RecordingRecord): RecordingSummary {
  return {
    id: r.id,
    startedAt: r.startedAt,
    durationMs: r.durationMs,
    direction: r.direction,
    service: r.service,
    agent: r.agent,
    number: r.number,
    state: r.state,
    flags: r.flags,
    policy: r.policy,
    expiresAt: r.expiresAt,
    mos: r.quality?.mos ?? null,
  };
}

export interface SearchArgs {
  readonly number?: string;
  readonly agent?: string;
  readonly service?: string;
  readonly from?: string;
  readonly to?: string;
  readonly caseId?: string;
  /** Only recordings carrying this flag (no_media, one_way, …). */
  readonly flag?: string;
  /** The call's quality.mos at least / at most. */
  readonly minMos?: number;
  readonly maxMos?: number;
  readonly limit?: number;
}

/** Every matching recording, newest first (pages through the index). */
export async function searchRecordings(
  storage: Storage,
  actor: Actor,
  args: SearchArgs,
): Promise<RecordingSummary[]> {
  const items: RecordingSummary[] = [];
  let cursor: string | undefined;
  const max = args.limit ?? Number.MAX_SAFE_INTEGER;
  const { limit: _limit, ...query } = args;
  do {
    const page = await storage.index.search({
      ...query,
      limit: Math.min(1000, max - items.length),
      cursor,
      order: 'desc',
    });
    items.push(...page.items.slice(0, max - items.length).map(summarise));
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined && items.length < max);
  if (args.number !== undefined || args.agent !== undefined || args.caseId !== undefined) {
    await storage.index.appendAudit({
      actor: actor.name,
      role: actor.role,
      action: 'search',
      from: actor.from,
      detail: { results: items.length, ...(args.caseId !== undefined ? { byCase: true } : {}) },
    });
  }
  return items;
}

export async function showRecording(storage: Storage, id: string): Promise<RecordingRecord> {
  return mustGet(storage, id);
}

export async function rotateKeys(storage: Storage, actor: Actor): Promise<{ keyId: number }> {
  const result = await storage.vault.rotateMasterKey();
  await storage.index.appendAudit({
    actor: actor.name,
    role: actor.role,
    action: 'keys_rotate',
    from: actor.from,
    detail: { keyId: result.keyId },
  });
  return result;
}

/** Wipes the recordings part of the index and refills it from the vault's own metadata. */
/** `stateTampered`: recordings whose sidecar failed its checks (indexed held, restricted, flagged). */
export async function rebuildIndex(
  storage: Storage,
  actor: Actor,
  onProgress?: (done: number, total: number) => void,
): Promise<{ recordings: number; stateTampered: string[]; unreadable: { id: string; code: string }[] }> {
  // Containers, and the sidecars of anonymised recordings (whose containers are gone).
  const tampered: string[] = [];
  // A tampered sidecar of an anonymised recording (no container) cannot be indexed: reported.
  const ids = await vaultRecordIds(storage.vault, { onTampered: (id) => tampered.push(id) });
  const policy = storage.config.policy;
  const policies = effectivePolicies(storage.config);
  const vault = storage.vault;
  // A broken container cannot describe itself; opening storage has flagged every one whose
  // structure is broken, so their records (digest, hold, flag) are kept as they are.
  const broken = new Map<string, RecordingRecord>();
  for (const id of ids) {
    const r = await storage.index.getRecording(id);
    if (r?.flags.includes(TAMPERED_FLAG) === true) broken.set(id, r);
  }
  const unreadable: { id: string; code: string }[] = [];
  let done = 0;
  async function* records(): AsyncGenerator<RecordingRecord> {
    for (const id of ids) {
      onProgress?.(done++, ids.length);
      const kept = broken.get(id);
      if (kept !== undefined) {
        yield kept;
        continue;
      }
      let rec: RecordingRecord;
      try {
        rec = await recordFromVault(vault, id, policies, policy, {
          onTamperedState: (rid) => {
            if (!tampered.includes(rid)) tampered.push(rid);
          },
        });
      } catch (err) {
        // One container that cannot be read (key destroyed, tampered) must not stop the rest:
        // the index was already emptied. Reported, and the command exits 2.
        if (!(err instanceof IntegrityError)) throw err;
        unreadable.push({ id, code: err.code });
        continue;
      }
      yield rec;
    }
  }
  await storage.index.rebuild(records());
  onProgress?.(ids.length, ids.length);
  await storage.index.appendAudit({
    actor: actor.name,
    role: actor.role,
    action: 'index_rebuild',
    from: actor.from,
    detail: {
      recordings: ids.length - unreadable.length,
      stateTampered: tampered.length,
      unreadable: unreadable.length,
    },
  });
  return { recordings: ids.length - unreadable.length, stateTampered: tampered, unreadable };
}
